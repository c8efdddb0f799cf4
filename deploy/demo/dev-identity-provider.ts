/**
 * The local stack's OpenID provider (panva's `oidc-provider`, the certified implementation), so
 * that the compliance dashboard signs people in through a real authorization code flow with PKCE
 * rather than a shortcut. One development user per role; any password is taken. Its issuer, the
 * dashboard's client id and secret and the callback come from the same settings the dashboard
 * reads (OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, DASHBOARD_URL). Not for
 * production: production points OIDC_ISSUER_URL at the company's identity provider.
 */
import { loadConfig } from '@consent-ledger/config';
import Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** The development users: sign in with the name, any password. */
export const DEVELOPMENT_USERS: Readonly<Record<string, { name: string; roles: string[] }>> = {
  compliance: { name: 'Chris Compliance (compliance officer)', roles: ['compliance-officer'] },
  auditor: { name: 'Ada Auditor (auditor)', roles: ['auditor'] },
  admin: { name: 'Alex Admin (administrator)', roles: ['admin'] },
  marketing: { name: 'Morgan Marketing (no dashboard role)', roles: ['marketer'] },
};

const SCOPES = 'openid profile roles';

/** A first-party client: the person is not asked to consent to the dashboard reading their roles. */
async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const grantId =
    ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
  if (grantId) return ctx.oidc.provider.Grant.find(grantId);
  const grant = new ctx.oidc.provider.Grant({
    clientId: ctx.oidc.client!.clientId,
    accountId: ctx.oidc.session!.accountId!,
  });
  grant.addOIDCScope(SCOPES);
  grant.addOIDCClaims(['name', 'roles']);
  await grant.save();
  return grant;
}

function main(): void {
  const settings = loadConfig().complianceDashboard;
  const issuer = new URL(settings.oidc.issuerUrl);
  const provider = new Provider(settings.oidc.issuerUrl, {
    clients: [
      {
        client_id: settings.oidc.clientId,
        client_secret: settings.oidc.clientSecret,
        redirect_uris: [`${settings.url}/auth/callback`],
        post_logout_redirect_uris: [`${settings.url}/signed-out`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: SCOPES.split(' '),
    claims: { openid: ['sub'], profile: ['name'], roles: ['roles'] },
    // The roles travel in the ID token, which is all the dashboard reads.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => {
      const user = DEVELOPMENT_USERS[id];
      return {
        accountId: id,
        claims: () => ({ sub: id, name: user?.name ?? id, roles: user?.roles ?? [] }),
      };
    },
    loadExistingGrant: firstPartyGrant,
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['development-identity-provider-cookie-key'] },
  });
  // Up while it answers, like every app of the stack.
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/health') return next();
    ctx.body = { status: 'ok' };
  });
  provider.listen(Number(issuer.port || 80), issuer.hostname, () =>
    process.stdout.write(
      `development identity provider on ${settings.oidc.issuerUrl} (users: ${Object.keys(DEVELOPMENT_USERS).join(', ')}; any password)\n`,
    ),
  );
}

main();
