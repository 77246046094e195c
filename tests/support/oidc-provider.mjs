// A real OpenID provider on loopback, for the tests of `source --upstream-oidc`.
// It stands in for DigiD: the login name typed at its dev login form becomes `sub`, the BSN.
// Like DigiD it keeps a login session (a cookie) and asks no consent, so after one login the
// organisations that use it can log the citizen in with `prompt=none`.
//
// Usage: REDIRECT_URI="http://127.0.0.1:PORT/upstream/callback [more URIs]" [HOST=127.0.0.2] node oidc-provider.mjs
// Every URI is registered for the one client `betaalpod-source`.
// Prints "READY <issuer>" once it listens. `GET /test/logins` answers how many times a login
// form was posted: the number of times a citizen typed their credentials. `GET /test/requests`
// answers what it received: method, target, Referer and Origin of every request.
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUris = (process.env.REDIRECT_URI || '').split(/\s+/).filter(Boolean);
if (redirectUris.length === 0) {
  console.error('REDIRECT_URI is required');
  process.exit(2);
}

// Another loopback address gives a provider its own cookies: browsers keep cookies per host, not
// per port, so two providers on 127.0.0.1 would share (and overwrite) each other's session.
const host = process.env.HOST || '127.0.0.1';
let typedLogins = 0;
const received = [];
const server = http.createServer();
server.listen(0, host, () => {
  const { port } = server.address();
  const issuer = `http://${host}:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'betaalpod-source',
      token_endpoint_auth_method: 'none',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'] },
    async findAccount(_ctx, id) {
      return { accountId: id, async claims() { return { sub: id }; } };
    },
    // No consent screen, as at DigiD: a logged-in citizen's grant for `openid` is implied.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid');
      await grant.save();
      return grant;
    },
  });
  // Loopback over plain http is fine for a test peer.
  provider.proxy = false;
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === '/test/logins') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ logins: typedLogins }));
      return;
    }
    if (req.method === 'GET' && req.url === '/test/requests') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(received));
      return;
    }
    received.push({
      method: req.method,
      target: req.url,
      referer: req.headers.referer || null,
      origin: req.headers.origin || null,
    });
    // With no consent screen, the only form this provider shows is its login form.
    if (req.method === 'POST' && /^\/interaction\/[^/?]+$/.test(req.url)) typedLogins += 1;
    handle(req, res);
  });
  console.log(`READY ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
