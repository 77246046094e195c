// A real OpenID provider on loopback, for the tests of `source --upstream-oidc`.
// It stands in for DigiD: the login name typed at its dev login form becomes `sub`, the BSN.
// Usage: REDIRECT_URI=http://127.0.0.1:PORT/upstream/callback node oidc-provider.mjs
// Prints "READY <issuer>" once it listens.
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUri = process.env.REDIRECT_URI;
if (!redirectUri) {
  console.error('REDIRECT_URI is required');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'betaalpod-source',
      token_endpoint_auth_method: 'none',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'] },
    async findAccount(_ctx, id) {
      return { accountId: id, async claims() { return { sub: id }; } };
    },
  });
  // Loopback over plain http is fine for a test peer.
  provider.proxy = false;
  server.on('request', provider.callback());
  console.log(`READY ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
