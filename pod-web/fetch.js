// Fetching from organisations straight from this browser. Each organisation's login opens in a
// window of its own; its answer comes back in the URL fragment, which the browser never sends to
// the provider. The code is exchanged and the claims are fetched here, from the organisation
// directly (CORS), and the pod core checks the signed answer, seals it and writes its
// transparency-log entry. The provider receives only sealed writes.

export const LOGIN_MESSAGE = 'betaalpod-login';
export const LOGIN_WINDOW = 'betaalpod-login';
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Waits for the login window to post back its fragment (see callback.js). */
function loginAnswer(popup, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new Error('no login within the time allowed')); }, timeoutMs);
    const closed = setInterval(() => {
      if (popup.closed) { done(); reject(new Error('the login window was closed')); }
    }, 500);
    function done() {
      clearTimeout(timer);
      clearInterval(closed);
      window.removeEventListener('message', onMessage);
    }
    function onMessage(event) {
      // Only our own callback page, in the window we opened, may answer.
      if (event.origin !== window.location.origin || event.source !== popup) return;
      if (!event.data || event.data.type !== LOGIN_MESSAGE || typeof event.data.params !== 'string') return;
      done();
      resolve(event.data.params);
    }
    window.addEventListener('message', onMessage);
  });
}

async function organisationCall(url, init) {
  try {
    return await fetch(url, { ...init, credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch (e) {
    throw new Error('could not be reached (' + e.message + ')');
  }
}

/**
 * The citizen's login at one organisation for `scope`, in a window of its own: the served keys
 * are compared with the pinned ones first, the answer's state and issuer are checked in wasm,
 * and the code is exchanged here. Returns the access token, which lives only in this call.
 */
export async function accessToken(core, descriptor, scope, options) {
  const { clientId, redirectUri, loginTimeoutMs = 300000 } = options;
  const login = core.OrgLogin.begin(JSON.stringify(descriptor), clientId, redirectUri, scope);
  const jwks = await organisationCall(descriptor.jwks_uri, {});
  if (!jwks.ok || !login.servedKeysMatch(await jwks.text(), new Date().toISOString())) {
    throw new Error(descriptor.name + ' now publishes other signing keys than the ones your pod trusts, so nothing was sent.');
  }
  // The app's pages let the citizen open the login with a click (`openLogin`), which no pop-up
  // blocker stops; without it the window opens at once.
  const popup = options.openLogin ? await options.openLogin(login.url()) : window.open(login.url(), LOGIN_WINDOW);
  if (!popup) throw new Error('the login window was blocked; allow pop-ups for this page');
  const params = await loginAnswer(popup, loginTimeoutMs);
  const tokenAnswer = await organisationCall(descriptor.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: login.tokenRequest(params),
  });
  const token = await tokenAnswer.json().catch(() => ({}));
  if (!tokenAnswer.ok || typeof token.access_token !== 'string') {
    throw new Error(descriptor.name + ' did not accept the login (' + (token.error || tokenAnswer.status) + '). Try again.');
  }
  return token.access_token;
}

/** A call to an organisation's API, from this browser, with the bearer token. */
export function organisationApi(url, token, init = {}) {
  return organisationCall(url, { ...init, headers: { ...(init.headers || {}), authorization: 'Bearer ' + token } });
}

/**
 * Fetches from one organisation into `pod`, and stores what came back (or the failure) at the
 * provider through `session`. Returns `{ ok, message }`.
 */
export async function fetchOne(core, pod, session, descriptor, options) {
  const { fetchId } = options;
  const startedAt = new Date().toISOString();
  const descriptorJson = JSON.stringify(descriptor);
  try {
    const token = await accessToken(core, descriptor, 'claims:read', options);
    const request = JSON.parse(pod.claimsRequest());
    const claims = await organisationApi(descriptor.claims_endpoint, token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request.body,
    });
    if (!claims.ok) throw new Error(descriptor.name + ' answered with an error (HTTP ' + claims.status + ').');
    const length = Number(claims.headers.get('content-length') || 0);
    if (length > MAX_ANSWER_BYTES) throw new Error(descriptor.name + ' sent more than any claim document may be.');
    const raw = new Uint8Array(await claims.arrayBuffer());
    const writes = JSON.parse(pod.acceptClaims(descriptorJson, raw, request.nonce, fetchId, startedAt, new Date().toISOString()));
    await session.batch(writes);
    return { ok: true, message: null };
  } catch (e) {
    const message = String(e.message || e);
    const writes = JSON.parse(pod.recordFailure(descriptorJson, message, fetchId, startedAt, new Date().toISOString()));
    await session.batch(writes);
    return { ok: false, message };
  }
}

/** Fetches from every organisation in turn; one failing never stops the others. */
export async function fetchAll(core, pod, session, descriptors, options, onProgress = () => {}) {
  const fetchId = crypto.randomUUID();
  const results = {};
  for (const descriptor of descriptors) {
    onProgress(descriptor.id, 'busy');
    results[descriptor.id] = await fetchOne(core, pod, session, descriptor, { ...options, fetchId });
    onProgress(descriptor.id, results[descriptor.id].ok ? 'done' : 'failed');
  }
  return results;
}
