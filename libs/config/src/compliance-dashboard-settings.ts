import { z } from 'zod';
import { apiScopes } from './api-key-settings';
import type { ApiScope } from './api-key-settings';
import { DEVELOPMENT_DASHBOARD_SECRETS } from './production-rules';

/** Roles the development identity provider gives, and what each may see by default. */
const DEFAULT_ROLES =
  'compliance-officer=consent:read+audit:read+operations;auditor=audit:read;admin=admin';

/** The environment settings of the compliance dashboard and its sign-in (OpenID Connect). */
export const complianceDashboardEnvironment = {
  DASHBOARD_URL: z.url().default('http://127.0.0.1:3006'),
  OIDC_ISSUER_URL: z.url().default('http://127.0.0.1:3980'),
  OIDC_CLIENT_ID: z.string().min(1).default('compliance-dashboard'),
  OIDC_CLIENT_SECRET: z.string().min(8).default(DEVELOPMENT_DASHBOARD_SECRETS.oidcClientSecret),
  /** The claim of the ID token that lists the person's roles. */
  OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
  /** `role=scope+scope;…`: the scopes (those API keys use) each role of the token grants. */
  DASHBOARD_ROLES: z.string().min(1).default(DEFAULT_ROLES),
  DASHBOARD_SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (it signs session cookies)')
    .default(DEVELOPMENT_DASHBOARD_SECRETS.sessionSecret),
  DASHBOARD_SESSION_MINUTES: z.coerce.number().min(1).max(720).default(480),
  /** The window the propagation view measures latency over. */
  DASHBOARD_PROPAGATION_WINDOW_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** How often live figures are sent to open pages. */
  DASHBOARD_LIVE_INTERVAL_MS: z.coerce.number().int().min(250).max(60_000).default(2_000),
  /** The dashboard's key for the auditor's API (audit:read), for the proofs findings link to. */
  DASHBOARD_API_KEY: z.string().min(8).optional(),
  /**
   * Whether the projector keeps the dashboard's standings, counters and daily tallies (in its own
   * transaction). Off in a deployment without the dashboard, or to measure what they cost.
   */
  DASHBOARD_PROJECTION: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  /** Where the auditor's API answers: findings link to its proofs. */
  AUDITOR_URL: z.url().default('http://127.0.0.1:3004'),
};

type DashboardEnvironment = z.output<z.ZodObject<typeof complianceDashboardEnvironment>>;

export interface ComplianceDashboardSettings {
  /** The dashboard's public address (sign-in returns to `${url}/auth/callback`). */
  readonly url: string;
  readonly oidc: {
    readonly issuerUrl: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly rolesClaim: string;
  };
  /** Each role's scopes. */
  readonly roles: ReadonlyMap<string, readonly ApiScope[]>;
  readonly sessionSecret: string;
  readonly sessionSeconds: number;
  readonly propagationWindowSeconds: number;
  readonly liveIntervalMs: number;
  readonly auditorUrl: string;
  /** The development key by default. */
  readonly apiKey: string;
  /** Whether the projector keeps the standings, counters and tallies the dashboard reads. */
  readonly projection: boolean;
}

export function complianceDashboardSettings(
  env: DashboardEnvironment,
  developmentApiKey: string,
): ComplianceDashboardSettings {
  return {
    url: env.DASHBOARD_URL.replace(/\/$/, ''),
    oidc: {
      issuerUrl: env.OIDC_ISSUER_URL.replace(/\/$/, ''),
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: env.OIDC_CLIENT_SECRET,
      rolesClaim: env.OIDC_ROLES_CLAIM,
    },
    roles: parseDashboardRoles(env.DASHBOARD_ROLES),
    sessionSecret: env.DASHBOARD_SESSION_SECRET,
    sessionSeconds: env.DASHBOARD_SESSION_MINUTES * 60,
    propagationWindowSeconds: env.DASHBOARD_PROPAGATION_WINDOW_SECONDS,
    liveIntervalMs: env.DASHBOARD_LIVE_INTERVAL_MS,
    auditorUrl: env.AUDITOR_URL.replace(/\/$/, ''),
    apiKey: env.DASHBOARD_API_KEY ?? developmentApiKey,
    projection: env.DASHBOARD_PROJECTION,
  };
}

/** `role=scope+scope;…` → role → scopes; throws naming an unknown scope. */
export function parseDashboardRoles(raw: string): Map<string, ApiScope[]> {
  const roles = new Map<string, ApiScope[]>();
  for (const entry of raw.split(';').filter((part) => part.trim() !== '')) {
    const [role = '', scopes = ''] = entry.split('=');
    const granted = scopes.split('+').filter((scope) => scope !== '');
    const unknown = granted.filter((scope) => !(apiScopes as readonly string[]).includes(scope));
    if (role.trim() === '' || unknown.length > 0)
      throw new Error(
        `DASHBOARD_ROLES: '${entry}' must be role=scope+scope with known scopes${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`,
      );
    roles.set(role.trim(), granted as ApiScope[]);
  }
  return roles;
}
