import type { AgeBand } from './consent-event';
import type { Purpose } from './purpose-taxonomy';

/** The rule sets we apply. UNKNOWN places get GDPR's rules (the strictest). */
export const regimes = ['GDPR', 'UK_GDPR', 'CCPA_CPRA', 'US_STATE_OPT_OUT', 'UNKNOWN'] as const;
export type Regime = (typeof regimes)[number];

/** EU member states plus the EEA (Iceland, Liechtenstein, Norway), ISO 3166-1 alpha-2. */
const gdprCountries =
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO'.split(
    ' ',
  );

/** US states with comprehensive opt-out privacy laws other than California. */
const usOptOutStates = 'VA CO CT UT TX OR MT IA DE NH NJ NE TN MN MD IN KY RI FL'
  .split(' ')
  .map((state) => `US-${state}`);

/**
 * Which regime each jurisdiction is under: a country (DE) or a subdivision (US-CA). The shipped
 * policy file carries the same table; this is the built-in default for code that has no file.
 */
export const defaultJurisdictionRegimes: Readonly<Record<string, Regime>> = Object.fromEntries([
  ...gdprCountries.map((country) => [country, 'GDPR'] as const),
  ['GB', 'UK_GDPR'] as const,
  ['US-CA', 'CCPA_CPRA'] as const,
  ...usOptOutStates.map((state) => [state, 'US_STATE_OPT_OUT'] as const),
]);

/** ISO 3166-1 alpha-2 (DE), ISO 3166-2 subdivision (US-CA), or ZZ for unknown. */
export const jurisdictionPattern = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

/** The part of the policy that maps places to regimes. */
export interface JurisdictionRules {
  /** Treat everyone as under GDPR, whatever their jurisdiction. */
  readonly strictestEverywhere: boolean;
  /** Jurisdiction code -> regime; a subdivision falls back to its country, then to UNKNOWN. */
  readonly jurisdictions: Readonly<Record<string, Regime>>;
}

/** The regime for a jurisdiction code under the policy's table. */
export function regimeFor(jurisdiction: string, rules: JurisdictionRules): Regime {
  if (rules.strictestEverywhere) return 'GDPR';
  return (
    rules.jurisdictions[jurisdiction] ?? rules.jurisdictions[jurisdiction.slice(0, 2)] ?? 'UNKNOWN'
  );
}

/** Why a purpose is allowed or denied before the person made any choice about it. */
export type DefaultReason =
  | 'CONTRACT_BASIS'
  | 'OPT_IN_REQUIRED'
  | 'MINOR_OPT_IN_REQUIRED'
  | 'SENSITIVE_OPT_IN_REQUIRED'
  | 'OPT_OUT_NOT_EXERCISED';

export interface DefaultDecision {
  readonly allowed: boolean;
  readonly reason: DefaultReason;
}

const minorBands: ReadonlySet<AgeBand> = new Set(['UNDER_13', 'UNDER_16']);

/**
 * The state of a purpose before any event (DESIGN.md, "Purposes and jurisdictions"):
 * GDPR, UK GDPR and unknown places are opt-in; California is opt-out, with opt-in for the sale
 * or sharing of an under-16's data; the other US state laws are opt-out, with opt-in for
 * sensitive data. Contract-based purposes never need consent.
 */
export function defaultDecision(
  regime: Regime,
  purpose: Purpose,
  ageBand: AgeBand | null,
): DefaultDecision {
  if (purpose.basis === 'contract') return { allowed: true, reason: 'CONTRACT_BASIS' };
  switch (regime) {
    case 'GDPR':
    case 'UK_GDPR':
    case 'UNKNOWN':
      return { allowed: false, reason: 'OPT_IN_REQUIRED' };
    case 'CCPA_CPRA': {
      const saleOrSharing =
        purpose.usCategory === 'sale_sharing' || purpose.usCategory === 'targeted_advertising';
      if (saleOrSharing && ageBand !== null && minorBands.has(ageBand)) {
        return { allowed: false, reason: 'MINOR_OPT_IN_REQUIRED' };
      }
      // Sensitive personal information may be used until the person limits it.
      return { allowed: true, reason: 'OPT_OUT_NOT_EXERCISED' };
    }
    case 'US_STATE_OPT_OUT':
      if (purpose.usCategory === 'sensitive')
        return { allowed: false, reason: 'SENSITIVE_OPT_IN_REQUIRED' };
      if (ageBand !== null && minorBands.has(ageBand) && purpose.usCategory !== 'other') {
        return { allowed: false, reason: 'MINOR_OPT_IN_REQUIRED' };
      }
      return { allowed: true, reason: 'OPT_OUT_NOT_EXERCISED' };
    default: {
      const unreachable: never = regime;
      throw new Error(`unhandled regime ${String(unreachable)}`);
    }
  }
}
