// A real OpenID Provider (npm `oidc-provider`, OpenID Certified) for the
// single sign-on tests. Configured from the environment:
//   OP_PORT          port on 127.0.0.1 (the issuer is http://127.0.0.1:OP_PORT)
//   OP_REDIRECT_URI  the relying party's callback (Heartlock's /oauth/callback)
//   OP_POST_LOGOUT   where the provider may send the browser after sign-out
// Sign-in is non-interactive: an authorization request with
// `login_hint=alice` (or `bob`) signs that user in without a form.
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT || 9400);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.OP_REDIRECT_URI || 'http://127.0.0.1:8080/oauth/callback';
const postLogout = process.env.OP_POST_LOGOUT || new URL('/login', redirectUri).toString();

const people = {
  alice: {
    sub: 'alice', email: 'alice@example.test', email_verified: true, name: 'Alice Admin',
    preferred_username: 'alice', groups: ['heartlock-admins', 'devs'],
  },
  bob: {
    sub: 'bob', email: 'bob@example.test', email_verified: true, name: 'Bob User',
    preferred_username: 'bob', groups: ['devs'],
  },
};
// OP_GROUPS_<USER>=a,b overrides a user's groups (to test that they are refreshed).
// OP_EMAIL_UNVERIFIED=bob,... reports those users' emails as not verified.
const unverified = (process.env.OP_EMAIL_UNVERIFIED || '').split(',').filter(Boolean);
for (const [id, person] of Object.entries(people)) {
  const override = process.env[`OP_GROUPS_${id.toUpperCase()}`];
  if (override !== undefined) person.groups = override.split(',').filter(Boolean);
  if (unverified.includes(id)) person.email_verified = false;
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'heartlock',
    client_secret: process.env.OP_CLIENT_SECRET || 'heartlock-test-secret-0123456789',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogout],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['heartlock-op-test-cookie-key'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    userinfo: { enabled: true },
  },
  async findAccount(_ctx, id) {
    const person = people[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { ...person }; } };
  },
  // No consent screen: grant what the client asked for.
  async loadExistingGrant(ctx) {
    const existing = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    if (!ctx.oidc.session.accountId) return undefined;
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['groups', 'email', 'email_verified', 'name', 'preferred_username']);
    await grant.save();
    return grant;
  },
  ttl: { AccessToken: 600, AuthorizationCode: 120, IdToken: 600, Session: 600, Interaction: 600, Grant: 600 },
});
provider.proxy = false;

// The login step, without a form: the user named by login_hint signs in.
provider.use(async (ctx, next) => {
  const m = ctx.method === 'GET' && ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (m) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const hint = details.params.login_hint;
    if (details.prompt.name === 'login' && people[hint]) {
      return provider.interactionFinished(ctx.req, ctx.res,
        { login: { accountId: hint } }, { mergeWithLastSubmission: false });
    }
  }
  return next();
});

provider.listen(port, '127.0.0.1', () => console.log(`OP listening on ${issuer}`));
