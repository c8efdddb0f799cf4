import { defaultJurisdictionRegimes } from './jurisdiction-regimes';
import type { JurisdictionRules } from './jurisdiction-regimes';

/** How the collection API treats a browser's Global Privacy Control signal (`Sec-GPC: 1`). */
export interface GlobalPrivacyControlRules {
  /** Jurisdictions whose law makes GPC a valid opt-out (a subdivision or a whole country). */
  readonly honouredIn: readonly string[];
  /** The purposes a GPC signal opts the person out of (sale/sharing, targeted advertising). */
  readonly optOutOf: readonly string[];
}

/** Deployment-wide rules that change what a choice means, versioned with the taxonomy. */
export interface ConsentPolicy extends JurisdictionRules {
  readonly version: string;
  /**
   * Per notice id, the oldest version whose grants still count. A grant given under an older
   * version is stale and needs re-consent.
   */
  readonly minimumNoticeVersions: Readonly<Record<string, string>>;
  readonly globalPrivacyControl: GlobalPrivacyControlRules;
}

/** California's CPRA regulations and the state laws that require honouring opt-out signals. */
export const defaultGpcJurisdictions = 'CA CO CT TX OR MT NJ DE NH MN MD NE'
  .split(' ')
  .map((state) => `US-${state}`);

export const defaultPolicy: ConsentPolicy = {
  version: 'default',
  strictestEverywhere: false,
  jurisdictions: defaultJurisdictionRegimes,
  minimumNoticeVersions: {},
  globalPrivacyControl: {
    honouredIn: defaultGpcJurisdictions,
    optOutOf: ['data.sale_sharing', 'ads.targeted'],
  },
};

/** Compares dotted versions numerically where they are numbers: 1.10 > 1.9. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
