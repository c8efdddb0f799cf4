import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createTaxonomy,
  dataCategories,
  defaultLifecycleRules,
  parseDuration,
  isKnownJurisdiction,
  regimes,
  usPrivacyCategories,
} from '@consent-ledger/consent-domain';
import type {
  Regime,
  ConsentPolicy,
  LifecycleRules,
  PurposeTaxonomy,
} from '@consent-ledger/consent-domain';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ConsentPolicySettings } from './app-config';

const jurisdictionCode = z
  .string()
  .refine(isKnownJurisdiction, 'must be an ISO 3166 code that exists, such as DE or US-CA');

const duration = z.string().transform((text, context) => {
  const ms = parseDuration(text);
  if (ms === undefined)
    context.addIssue({
      code: 'custom',
      message: `'${text}' is not an ISO 8601 duration of weeks, days, hours, minutes, seconds (P30D, PT12H)`,
    });
  return ms ?? 0;
});

/** The lifecycle rules as the file gives them (ISO 8601 durations), defaults where it is silent. */
const lifecycleSchema = z
  .object({
    reconsent: z
      .object({ gracePeriod: duration.optional(), remindAfter: z.array(duration).optional() })
      .prefault({}),
    renewalReminderLead: duration.optional(),
  })
  .prefault({})
  .transform(({ reconsent, renewalReminderLead }): LifecycleRules => ({
    reconsent: {
      graceMs: reconsent.gracePeriod ?? defaultLifecycleRules.reconsent.graceMs,
      remindAfterMs: reconsent.remindAfter ?? defaultLifecycleRules.reconsent.remindAfterMs,
    },
    renewalReminderLeadMs: renewalReminderLead ?? defaultLifecycleRules.renewalReminderLeadMs,
  }));

const policyFileSchema = z.object({
  version: z.string().min(1),
  minimumNoticeVersions: z.record(z.string(), z.string()).default({}),
  lifecycle: lifecycleSchema,
  jurisdictions: z.partialRecord(
    z.enum(regimes.filter((regime) => regime !== 'UNKNOWN') as [Regime, ...Regime[]]),
    z.array(jurisdictionCode),
  ),
  globalPrivacyControl: z.object({
    honouredIn: z.array(jurisdictionCode),
    optOutOf: z.array(z.string()).min(1),
  }),
  purposes: z
    .array(
      z.object({
        id: z.string(),
        description: z.string().min(1),
        basis: z.enum(['consent', 'contract']),
        dataCategories: z.array(z.enum(dataCategories)).min(1),
        usCategory: z.enum(usPrivacyCategories),
        renewEveryMonths: z.number().int().min(1).max(120).optional(),
      }),
    )
    .min(1),
});

/** The taxonomy and policy every app decides with. */
export interface LoadedConsentPolicy {
  readonly taxonomy: PurposeTaxonomy;
  readonly policy: ConsentPolicy;
  /** Re-consent campaigns and renewal reminders. */
  readonly lifecycle: LifecycleRules;
  /** SHA-256 of the file's bytes: tells two files that claim the same version apart. */
  readonly digest: string;
}

/** Reads and validates the consent policy file; fails naming the file and the bad entries. */
export function loadConsentPolicy(
  settings: Pick<ConsentPolicySettings, 'file' | 'strictestEverywhere'>,
): LoadedConsentPolicy {
  let text: string;
  try {
    text = readFileSync(settings.file, 'utf8');
  } catch (error) {
    throw new Error(
      `CONSENT_POLICY_FILE: cannot read ${settings.file}: ${(error as Error).message}`,
    );
  }
  return parseConsentPolicy(text, settings);
}

/** Validates a policy file's text (`source` names it in errors). */
export function parseConsentPolicy(
  text: string,
  settings: Pick<ConsentPolicySettings, 'file' | 'strictestEverywhere'>,
): LoadedConsentPolicy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new Error(
      `CONSENT_POLICY_FILE ${settings.file} is not YAML: ${(error as Error).message}`,
    );
  }
  const parsed = policyFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`CONSENT_POLICY_FILE ${settings.file} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const { version, minimumNoticeVersions, purposes, globalPrivacyControl } = parsed.data;
  const taxonomy = createTaxonomy(version, purposes);
  const jurisdictions: Record<string, Regime> = {};
  const problems: string[] = [];
  for (const [regime, codes] of Object.entries(parsed.data.jurisdictions) as [Regime, string[]][]) {
    for (const code of codes) {
      const already = jurisdictions[code];
      if (already && already !== regime)
        problems.push(`jurisdictions: ${code} is under both ${already} and ${regime}`);
      jurisdictions[code] = regime;
    }
  }
  globalPrivacyControl.optOutOf
    .filter((purpose) => !taxonomy.purposes.has(purpose))
    .forEach((purpose) =>
      problems.push(`globalPrivacyControl.optOutOf: unknown purpose '${purpose}'`),
    );
  if (problems.length > 0) {
    throw new Error(`CONSENT_POLICY_FILE ${settings.file} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return {
    taxonomy,
    policy: {
      version,
      strictestEverywhere: settings.strictestEverywhere,
      jurisdictions,
      minimumNoticeVersions,
      globalPrivacyControl,
    },
    lifecycle: parsed.data.lifecycle,
    digest: createHash('sha256').update(text).digest('hex'),
  };
}
