-- The pod provider's vault, schema version 1. Only SQL that PostgreSQL, CockroachDB and
-- YugabyteDB all run; every statement is idempotent.

-- The OPAQUE server setup every server of the provider shares (one row).
CREATE TABLE IF NOT EXISTS vault_setup (
    id           SMALLINT NOT NULL PRIMARY KEY,
    server_setup BYTEA    NOT NULL
);

-- One row per pod: the public recipient, the identity wrapped by the passphrase and by the
-- recovery code (age scrypt files made in the browser), the two OPAQUE registration records,
-- and the pod's usage. `next_version` numbers every write, so a version is never reused.
CREATE TABLE IF NOT EXISTS vault_pods (
    pod_id            BYTEA       NOT NULL PRIMARY KEY,
    created_at        TIMESTAMPTZ NOT NULL,
    recipient         TEXT        NOT NULL,
    identity_file     BYTEA,
    recovery_file     BYTEA,
    passphrase_record BYTEA,
    recovery_record   BYTEA,
    record_count      BIGINT      NOT NULL DEFAULT 0,
    byte_count        BIGINT      NOT NULL DEFAULT 0,
    next_version      BIGINT      NOT NULL DEFAULT 1
);

-- Sealed records, opaque to the provider. The pod id leads the key: one pod, one index range.
CREATE TABLE IF NOT EXISTS vault_records (
    pod_id  BYTEA  NOT NULL,
    name    TEXT   NOT NULL,
    version BIGINT NOT NULL,
    bytes   BYTEA  NOT NULL,
    PRIMARY KEY (pod_id, name)
);

-- Sessions by the SHA-256 of their bearer token.
CREATE TABLE IF NOT EXISTS vault_sessions (
    token_hash BYTEA       NOT NULL PRIMARY KEY,
    pod_id     BYTEA       NOT NULL,
    scope      SMALLINT    NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS vault_sessions_pod ON vault_sessions (pod_id);

-- OPAQUE logins between their two messages (a minute at most).
CREATE TABLE IF NOT EXISTS vault_logins (
    login_id   BYTEA       NOT NULL PRIMARY KEY,
    pod_id     BYTEA       NOT NULL,
    scope      SMALLINT    NOT NULL,
    state      BYTEA       NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Throttling counters (login attempts per pod and per client address, sign-ups per address).
CREATE TABLE IF NOT EXISTS vault_counters (
    key          TEXT        NOT NULL PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    count        BIGINT      NOT NULL
);
