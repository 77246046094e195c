// Fetching from organisations straight from this browser. The logins run in one window of their
// own; each answer comes back in the URL fragment, which the browser never sends to the
// provider. A fetch from several organisations is one chain in that window: once the citizen has
// logged in at the first, each next organisation is asked to log them in without a login page
// (`prompt=none`), riding the session of the login provider they share. The code is exchanged and the claims are fetched here, from the organisation
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
 * The citizen's login at one organisation for `scope`, in the login window: the served keys are
 * compared with the pinned ones first, the answer's state and issuer are checked in wasm, and the
 * code is exchanged here. Returns the access token, which lives only in this call.
 *
 * `options.chain` (from `newChain()`) makes it a hop of a chain: the chain's window is reused,
 * and once a hop has succeeded the next ones ask without a login page, falling back to the
 * organisation's login when it answers that it needs one. Without a chain the window closes
 * once the answer is in.
 */
export async function accessToken(core, descriptor, scope, options) {
  const { clientId, redirectUri, loginTimeoutMs = 300000 } = options;
  const chain = options.chain || null;
  const descriptorJson = JSON.stringify(descriptor);
  const jwks = await organisationCall(descriptor.jwks_uri, {});
  const keysLogin = core.OrgLogin.begin(descriptorJson, clientId, redirectUri, scope, false);
  const keysMatch = jwks.ok && keysLogin.servedKeysMatch(await jwks.text(), new Date().toISOString());
  keysLogin.free();
  if (!keysMatch) {
    throw new Error(descriptor.name + ' now publishes other signing keys than the ones your pod trusts, so nothing was sent.');
  }
  const ask = async (withoutLoginPage) => {
    const login = core.OrgLogin.begin(descriptorJson, clientId, redirectUri, scope, withoutLoginPage);
    const popup = await loginWindow(login.url(), chain, options);
    return { login, popup, params: await loginAnswer(popup, loginTimeoutMs) };
  };
  const silent = Boolean(chain && chain.signedIn);
  let answer = await ask(silent);
  if (silent && answer.login.asksForLogin(answer.params)) {
    // No session at the login provider for this organisation: its own login, as usual.
    answer = await ask(false);
  }
  if (!chain) answer.popup.close();
  const body = answer.login.tokenRequest(answer.params);
  if (chain) chain.signedIn = true;
  const tokenAnswer = await organisationCall(descriptor.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const token = await tokenAnswer.json().catch(() => ({}));
  if (!tokenAnswer.ok || typeof token.access_token !== 'string') {
    throw new Error(descriptor.name + ' did not accept the login (' + (token.error || tokenAnswer.status) + '). Try again.');
  }
  return token.access_token;
}

/** A chain of logins in one window (see `accessToken`). End it with `endChain`. */
export function newChain() {
  return { window: null, signedIn: false };
}

/** Closes a chain's login window, if it is still open. */
export function endChain(chain) {
  if (chain && chain.window && !chain.window.closed) chain.window.close();
}

/**
 * Sends the login window to `url`: the chain's window if it is still open (a navigation of a
 * window this page opened, which no pop-up blocker stops), or a new one. The app's pages let the
 * citizen open a new one with a click (`openLogin`); without it the window opens at once.
 */
async function loginWindow(url, chain, options) {
  if (chain && chain.window && !chain.window.closed) {
    chain.window.location.href = url;
    return chain.window;
  }
  const popup = options.openLogin ? await options.openLogin(url) : window.open(url, LOGIN_WINDOW);
  if (!popup) throw new Error('the login window was blocked; allow pop-ups for this page');
  if (chain) chain.window = popup;
  return popup;
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

/**
 * Fetches from every organisation in turn, as one chain of logins in one window; one failing
 * never stops the others.
 */
export async function fetchAll(core, pod, session, descriptors, options, onProgress = () => {}) {
  const fetchId = crypto.randomUUID();
  const chain = newChain();
  const results = {};
  try {
    for (const descriptor of descriptors) {
      onProgress(descriptor.id, 'busy');
      results[descriptor.id] = await fetchOne(core, pod, session, descriptor, { ...options, fetchId, chain });
      onProgress(descriptor.id, results[descriptor.id].ok ? 'done' : 'failed');
    }
  } finally {
    endChain(chain);
  }
  return results;
}
