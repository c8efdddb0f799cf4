import type { ApiScope } from '@consent-ledger/config';

/** The dashboard's views, in the order its navigation shows them. */
export const dashboardViews = ['consent', 'rates', 'propagation', 'pending', 'findings'] as const;
export type DashboardView = (typeof dashboardViews)[number];

/**
 * The scopes (those API keys use) that open each view: any one of them. What is behind the views
 * is the API's too: consent by state and rates read consent (or audit it), propagation is
 * operations, pending work and findings are the auditors'. `admin` opens everything.
 */
const VIEW_SCOPES: Readonly<Record<DashboardView, readonly ApiScope[]>> = {
  consent: ['consent:read', 'audit:read'],
  rates: ['consent:read', 'audit:read'],
  propagation: ['operations'],
  pending: ['audit:read'],
  findings: ['audit:read'],
};

/** The scopes a person's roles grant, by the configured mapping; roles not in it grant nothing. */
export function scopesOfRoles(
  roles: readonly string[],
  mapping: ReadonlyMap<string, readonly ApiScope[]>,
): ApiScope[] {
  return [...new Set(roles.flatMap((role) => mapping.get(role) ?? []))].sort();
}

/** The views these scopes open, in navigation order. */
export function viewsOpenTo(scopes: readonly ApiScope[]): DashboardView[] {
  return dashboardViews.filter(
    (view) => scopes.includes('admin') || VIEW_SCOPES[view].some((scope) => scopes.includes(scope)),
  );
}

/** A role claim as a list of role names, whatever shape the identity provider gives it. */
export function rolesFromClaim(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((role): role is string => typeof role === 'string');
  if (typeof claim === 'string') return claim.split(/[\s,]+/).filter((role) => role !== '');
  return [];
}
