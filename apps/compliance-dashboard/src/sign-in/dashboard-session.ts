import type { ApiScope } from '@consent-ledger/config';
import { SignedCookie } from '@consent-ledger/signed-links';
import type { PendingSignIn } from './oidc-sign-in';

/** A signed-in person's session, kept in a signed cookie. */
export interface DashboardSession {
  /** The identity provider's subject for the person (what the admin audit log names). */
  readonly subject: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** What the roles grant, fixed at sign-in. */
  readonly scopes: readonly ApiScope[];
  /** The synchronizer token of the session's forms (CSRF). */
  readonly csrf: string;
  /** For ending the provider's session on sign-out. */
  readonly idToken: string;
  readonly expiresAt: number;
}

/** The session cookie and the cookie of a sign-in in progress, both signed with the session secret. */
export function dashboardCookies(secret: string, secure: boolean) {
  return {
    session: new SignedCookie<DashboardSession>({
      name: 'dashboard-session',
      purpose: 'session',
      secret,
      secure,
    }),
    pendingSignIn: new SignedCookie<PendingSignIn>({
      name: 'dashboard-sign-in',
      purpose: 'sign-in',
      secret,
      secure,
    }),
  };
}
