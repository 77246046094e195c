-- Betaalpod on PostgreSQL, schema version 1: many pods in one database.
--
-- Only SQL that PostgreSQL, CockroachDB and YugabyteDB all run: plain tables with composite
-- primary keys, BYTEA, TIMESTAMPTZ, INSERT … ON CONFLICT. No SERIAL or sequences, no triggers,
-- no stored procedures, no advisory locks, no extensions. Every statement is idempotent, so two
-- servers starting at once cannot break it.

-- One row per pod. The provider holds only what it cannot open: the identity wrapped by the
-- citizen's passphrase, the same identity wrapped by the recovery code, and the public recipient.
CREATE TABLE IF NOT EXISTS betaalpod_pods (
    pod_id             BYTEA       NOT NULL PRIMARY KEY,
    created_at         TIMESTAMPTZ NOT NULL,
    recipient          TEXT        NOT NULL,
    identity           BYTEA,
    recovery           BYTEA,
    fetch_window_start TIMESTAMPTZ,
    fetches_in_window  INT         NOT NULL DEFAULT 0
);

-- Every pod's key spaces (meta, records, index), as the `Store` trait sees them: opaque keys,
-- sealed values. The pod id leads the primary key, so one pod's values are one index range.
CREATE TABLE IF NOT EXISTS betaalpod_values (
    pod_id BYTEA    NOT NULL,
    space  SMALLINT NOT NULL,
    key    BYTEA    NOT NULL,
    value  BYTEA    NOT NULL,
    PRIMARY KEY (pod_id, space, key)
);
