import { readFileSync } from 'node:fs';
import {
  createTaxonomy,
  dataCategories,
  usPrivacyCategories,
  type ConsentPolicy,
  type PurposeTaxonomy,
} from '@consent-ledger/consent-domain';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ConsentPolicySettings } from './app-config';

const policyFileSchema = z.object({
  version: z.string().min(1),
  minimumNoticeVersions: z.record(z.string(), z.string()).default({}),
  purposes: z
    .array(
      z.object({
        id: z.string(),
        description: z.string().min(1),
        basis: z.enum(['consent', 'contract']),
        dataCategories: z.array(z.enum(dataCategories)).min(1),
        usCategory: z.enum(usPrivacyCategories),
      }),
    )
    .min(1),
});

/** The taxonomy and policy every app decides with. */
export interface LoadedConsentPolicy {
  readonly taxonomy: PurposeTaxonomy;
  readonly policy: ConsentPolicy;
}

/** Reads and validates the consent policy file; fails naming the file and the bad entries. */
export function loadConsentPolicy(
  settings: Pick<ConsentPolicySettings, 'file' | 'strictestEverywhere'>,
): LoadedConsentPolicy {
  let raw: unknown;
  try {
    raw = parse(readFileSync(settings.file, 'utf8'));
  } catch (error) {
    throw new Error(
      `CONSENT_POLICY_FILE: cannot read ${settings.file}: ${(error as Error).message}`,
    );
  }
  const parsed = policyFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`CONSENT_POLICY_FILE ${settings.file} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const { version, minimumNoticeVersions, purposes } = parsed.data;
  return {
    taxonomy: createTaxonomy(version, purposes),
    policy: { version, strictestEverywhere: settings.strictestEverywhere, minimumNoticeVersions },
  };
}
