// The pod provider's storage API (docs/PROVIDER.md), from the citizen's browser. Every secret
// step runs in the pod core (wasm): OPAQUE registration and login, so the passphrase never leaves
// this page, and the bearer token comes from the OPAQUE session key.

const API = '/api/v1';

export const b64 = {
  decode: (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
  encode: (bytes) => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  },
};

/** An answer the provider refused, with its stable code and its message for people. */
export class ProviderError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(path, { method = 'GET', token, json, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'omit', cache: 'no-store' };
  if (token) init.headers.authorization = 'Bearer ' + token;
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const answer = await fetch(API + path, init);
  if (!answer.ok) {
    let error = { error: 'http_' + answer.status, message: 'The provider answered ' + answer.status + '.' };
    try { error = await answer.json(); } catch (_) { /* not JSON: keep the generic message */ }
    throw new ProviderError(answer.status, error.error, error.message);
  }
  return answer;
}

/** Signs up: both OPAQUE registrations and the files the pod core made. Returns the pod id. */
export async function signUp(core, pod, passphrase, recoveryCode) {
  const material = JSON.parse(pod.signupMaterial());
  const podId = await registerPod(core, material, passphrase, recoveryCode);
  return { podId, firstWrites: material.first_writes };
}

/**
 * Imports a backup (`betaalpod-backup/1`, as `pod backup` or a provider's export writes it) into
 * a new pod here. The pod core verifies every record with the passphrase first; nothing is sent
 * unless the whole backup opens. The old recovery code is not known here, so a new one is made:
 * show it to the citizen once. Returns `{ podId, recoveryCode }`.
 */
export async function importBackup(core, bytes, passphrase) {
  const pod = core.Pod.fromBackup(bytes, passphrase);
  const recoveryCode = core.Pod.newRecoveryCode();
  const material = JSON.parse(pod.importMaterial(recoveryCode));
  const podId = await registerPod(core, material, passphrase, recoveryCode);
  const session = await logIn(core, podId, passphrase);
  session.attach(pod);
  for (const batch of material.batches) {
    await session.batch(batch);
  }
  return { podId, recoveryCode, session, pod };
}

async function registerPod(core, material, passphrase, recoveryCode) {
  const forPassphrase = core.Registration.start(passphrase);
  const forRecovery = core.Registration.start(recoveryCode);
  const started = await (await call('/signup/start', { method: 'POST', json: {
    passphrase_request: b64.encode(forPassphrase.request()),
    recovery_request: b64.encode(forRecovery.request()),
  } })).json();
  await call('/signup/finish', { method: 'POST', json: {
    pod_id: started.pod_id,
    passphrase_upload: b64.encode(forPassphrase.finish(passphrase, b64.decode(started.passphrase_response))),
    recovery_upload: b64.encode(forRecovery.finish(recoveryCode, b64.decode(started.recovery_response))),
    recipient: material.recipient,
    identity_file: material.identity_file,
    recovery_file: material.recovery_file,
  } });
  return started.pod_id;
}

/** Logs in with OPAQUE; a session. A wrong passphrase is found here, without asking again. */
export async function logIn(core, podId, passphrase, credential = 'passphrase') {
  const login = core.Login.start(passphrase);
  const started = await (await call('/login/start', { method: 'POST', json: {
    pod_id: podId, credential, request: b64.encode(login.request()),
  } })).json();
  const done = JSON.parse(login.finish(passphrase, b64.decode(started.response)));
  await call('/login/finish', { method: 'POST', json: { login_id: started.login_id, finalization: done.finalization } });
  return new Session(done.token, podId);
}

/**
 * A signed-in session: its bearer token lives in this page's memory only. Once a pod is
 * attached (`attach`, or `loadInto`), every batch carries the pod's next manifest, and this
 * browser keeps the pod's guard, so a record the provider drops or an older copy it serves is
 * noticed when the pod is opened here again.
 */
export class Session {
  constructor(token, podId) {
    this.token = token;
    this.podId = podId;
    this.pod = null;
    // The version of every record this session has seen: each write names the one it replaces.
    this.versions = new Map();
    // Batches go one at a time, each built on the manifest the one before left.
    this.queue = Promise.resolve();
  }

  /** Writes of `pod` go through this session from now on. */
  attach(pod) {
    this.pod = pod;
  }

  guardKey() {
    return 'betaalpod-guard:' + this.pod.guardName(window.location.origin + '/' + this.podId);
  }

  async info() {
    return (await call('/pod', { token: this.token })).json();
  }

  async list() {
    return (await (await call('/records', { token: this.token })).json()).records;
  }

  async get(name) {
    const answer = await call('/records/' + name, { token: this.token });
    return new Uint8Array(await answer.arrayBuffer());
  }

  /** Writes all together or none (`writes` as the pod core returns them). */
  batch(writes) {
    const sent = this.queue.then(() => this.send(writes));
    this.queue = sent.catch(() => {});
    return sent;
  }

  async send(writes) {
    const pod = this.pod;
    if (!pod) return (await call('/batch', { method: 'POST', token: this.token, json: { writes } })).json();
    const sealed = JSON.parse(pod.sealBatch(JSON.stringify(writes), new Date().toISOString()))
      .map((write) => ({ ...write, expect: this.versions.has(write.name) ? { version: this.versions.get(write.name) } : 'absent' }));
    let done;
    try {
      done = await (await call('/batch', { method: 'POST', token: this.token, json: { writes: sealed } })).json();
    } catch (e) {
      pod.abandonBatch();
      throw e;
    }
    for (const write of sealed) if (write.bytes === null) this.versions.delete(write.name);
    for (const record of done.records) this.versions.set(record.name, record.version);
    const guard = pod.confirmBatch();
    if (guard) localStorage.setItem(this.guardKey(), guard);
    return done;
  }

  /**
   * Reads every record into the pod core and checks the pod: it must hold what its manifest
   * lists and be no older than this browser saw it. A pod from before manifests gets one now.
   */
  async loadInto(pod) {
    for (const record of await this.list()) {
      pod.load(record.name, await this.get(record.name));
      this.versions.set(record.name, record.version);
    }
    this.pod = pod;
    const start = JSON.parse(pod.checkIntegrity(localStorage.getItem(this.guardKey()), new Date().toISOString()));
    if (start.length > 0) {
      await this.batch(start);
    } else {
      const guard = pod.guard();
      if (guard) localStorage.setItem(this.guardKey(), guard);
    }
  }

  async logOut() {
    await call('/logout', { method: 'POST', token: this.token });
    this.token = null;
  }
}

/** Registers a new secret for `credential` through `session`; the upload. */
async function register(core, session, credential, secret) {
  const registration = core.Registration.start(secret);
  const started = await (await call('/pod/credentials/start', { method: 'POST', token: session.token, json: {
    credential, request: b64.encode(registration.request()),
  } })).json();
  return b64.encode(registration.finish(secret, b64.decode(started.response)));
}

/** A new passphrase: re-wrapped and re-registered here; other sessions end, this one stays. */
export async function changePassphrase(core, pod, session, newPassphrase) {
  const file = b64.encode(pod.wrapIdentity(newPassphrase, false));
  const upload = await register(core, session, 'passphrase', newPassphrase);
  await call('/pod/credentials', { method: 'PUT', token: session.token, json: {
    passphrase: { upload, file }, recovery: null,
  } });
}

/**
 * Recovery with the recovery code: it opens the identity here, sets the new passphrase and a
 * new recovery code, and ends every session. Returns the new code, to show the citizen once.
 */
export async function recover(core, podId, typedCode, newPassphrase) {
  const code = core.Pod.normaliseRecoveryCode(typedCode);
  const session = await logIn(core, podId, code, 'recovery');
  const recoveryFile = b64.decode((await (await call('/pod/recovery-file', { token: session.token })).json()).recovery_file);
  const identity = core.Identity.unwrap(recoveryFile, code);
  const newCode = core.Pod.newRecoveryCode();
  const passphrase = {
    upload: await register(core, session, 'passphrase', newPassphrase),
    file: b64.encode(identity.wrap(newPassphrase, false)),
  };
  const recovery = {
    upload: await register(core, session, 'recovery', newCode),
    file: b64.encode(identity.wrap(newCode, true)),
  };
  await call('/pod/credentials', { method: 'PUT', token: session.token, json: { passphrase, recovery } });
  return newCode;
}

/** The export `pod restore` reads, as bytes. */
export async function exportPod(session) {
  return new Uint8Array(await (await call('/pod/export', { token: session.token })).arrayBuffer());
}

/** Deletes the pod: the provider destroys its keys first, then its records. */
export async function deletePod(session) {
  await call('/pod', { method: 'DELETE', token: session.token });
  session.token = null;
}
