import type { ConsentPolicy } from './consent-policy';
import type { PurposeDefinition, PurposeTaxonomy } from './purpose-taxonomy';

/** One side of a policy review: the taxonomy and the rules of one version of the file. */
export interface PolicySnapshot {
  readonly taxonomy: PurposeTaxonomy;
  readonly policy: ConsentPolicy;
}

/** What a policy change does, one line per effect, and whether its version says it changed. */
export interface PolicyDiff {
  readonly changes: readonly string[];
  /** The content changed but `version` did not: decisions could not be told apart. */
  readonly versionNotBumped: boolean;
}

const described = (purpose: PurposeDefinition) =>
  `${purpose.basis}; ${purpose.dataCategories.join(', ')}; US ${purpose.usCategory}`;

const setDiff = (label: string, before: readonly string[], after: readonly string[]) => [
  ...after.filter((item) => !before.includes(item)).map((item) => `+ ${label} ${item}`),
  ...before.filter((item) => !after.includes(item)).map((item) => `- ${label} ${item}`),
];

/**
 * The semantic difference between two policies, as a reviewer reads it: purposes added, removed
 * or redefined, places moved between regimes, GPC's reach, notice minimums. Pure.
 */
export function diffPolicies(before: PolicySnapshot, after: PolicySnapshot): PolicyDiff {
  const changes: string[] = [];
  const fields: Array<keyof PurposeDefinition> = [
    'basis',
    'dataCategories',
    'usCategory',
    'description',
  ];
  for (const [id, next] of after.taxonomy.purposes) {
    const previous = before.taxonomy.purposes.get(id);
    if (!previous) {
      changes.push(`+ purpose ${id} (${described(next)}): ${next.description}`);
      continue;
    }
    for (const field of fields) {
      const was = JSON.stringify(previous[field]);
      const now = JSON.stringify(next[field]);
      if (was !== now) changes.push(`~ purpose ${id}: ${field} ${was} -> ${now}`);
    }
  }
  for (const id of before.taxonomy.purposes.keys()) {
    if (!after.taxonomy.purposes.has(id)) changes.push(`- purpose ${id}`);
  }

  const places = new Set([
    ...Object.keys(before.policy.jurisdictions),
    ...Object.keys(after.policy.jurisdictions),
  ]);
  for (const place of [...places].sort()) {
    const was = before.policy.jurisdictions[place] ?? 'UNKNOWN';
    const now = after.policy.jurisdictions[place] ?? 'UNKNOWN';
    if (was !== now) changes.push(`~ jurisdiction ${place}: ${was} -> ${now}`);
  }
  if (before.policy.strictestEverywhere !== after.policy.strictestEverywhere) {
    changes.push(
      `~ strictest everywhere: ${before.policy.strictestEverywhere} -> ${after.policy.strictestEverywhere}`,
    );
  }

  changes.push(
    ...setDiff(
      'GPC honoured in',
      before.policy.globalPrivacyControl.honouredIn,
      after.policy.globalPrivacyControl.honouredIn,
    ),
    ...setDiff(
      'GPC opts out of',
      before.policy.globalPrivacyControl.optOutOf,
      after.policy.globalPrivacyControl.optOutOf,
    ),
  );

  const notices = new Set([
    ...Object.keys(before.policy.minimumNoticeVersions),
    ...Object.keys(after.policy.minimumNoticeVersions),
  ]);
  for (const notice of [...notices].sort()) {
    const was = before.policy.minimumNoticeVersions[notice] ?? '(none)';
    const now = after.policy.minimumNoticeVersions[notice] ?? '(none)';
    if (was !== now) {
      changes.push(
        `~ minimum notice version ${notice}: ${was} -> ${now} (grants under older versions need re-consent)`,
      );
    }
  }

  const versionChanged = before.policy.version !== after.policy.version;
  return {
    changes: [
      ...(versionChanged ? [`~ version ${before.policy.version} -> ${after.policy.version}`] : []),
      ...changes,
    ],
    versionNotBumped: changes.length > 0 && !versionChanged,
  };
}
