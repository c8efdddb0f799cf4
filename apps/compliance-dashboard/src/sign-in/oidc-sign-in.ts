import type { ComplianceDashboardSettings } from '@consent-ledger/config';
import * as oidc from 'openid-client';
import { rolesFromClaim } from '../access/dashboard-access';

/** A sign-in on its way through the identity provider (kept in a signed cookie meanwhile). */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The dashboard page to return to. */
  readonly returnTo: string;
  readonly expiresAt: number;
}

/** Who signed in, as the ID token says. */
export interface SignedInPerson {
  readonly subject: string;
  readonly name: string;
  readonly roles: string[];
  readonly idToken: string;
}

const SCOPE = 'openid profile roles';

/**
 * Sign-in through the company's OpenID provider with openid-client (panva's certified relying
 * party): authorization code with PKCE (S256), state and nonce, the ID token's signature, issuer,
 * audience and expiry checked by the library. The provider's metadata is discovered on first use
 * and again after a failure, so the dashboard starts while the provider is still coming up.
 * Plain http is allowed only for a provider on this machine (the local stack's).
 */
export class OidcSignIn {
  private configuration?: Promise<oidc.Configuration>;

  constructor(private readonly settings: ComplianceDashboardSettings) {}

  /** Where to send the browser, and what to remember until it comes back. */
  async start(returnTo: string, now: number): Promise<{ url: string; pending: PendingSignIn }> {
    const config = await this.discovered();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      returnTo,
      expiresAt: now + 600,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.callbackUrl(),
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /** Exchanges the code the provider sent back (`callbackUrl`: the whole URL it called). */
  async finish(callbackUrl: URL, pending: PendingSignIn): Promise<SignedInPerson> {
    const config = await this.discovered();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    return {
      subject: claims.sub,
      name: typeof claims.name === 'string' ? claims.name : claims.sub,
      roles: rolesFromClaim(claims[this.settings.oidc.rolesClaim]),
      idToken: tokens.id_token!,
    };
  }

  /** Where to send the browser to end the provider's session too, when it offers that. */
  async signOutUrl(idToken: string | undefined): Promise<string | undefined> {
    const config = await this.discovered();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      post_logout_redirect_uri: `${this.settings.url}/signed-out`,
      ...(idToken ? { id_token_hint: idToken } : {}),
    }).href;
  }

  callbackUrl(): string {
    return `${this.settings.url}/auth/callback`;
  }

  private discovered(): Promise<oidc.Configuration> {
    const { issuerUrl, clientId, clientSecret } = this.settings.oidc;
    const local = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(issuerUrl);
    this.configuration ??= oidc
      .discovery(
        new URL(issuerUrl),
        clientId,
        clientSecret,
        undefined,
        local ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        throw error;
      });
    return this.configuration;
  }
}
