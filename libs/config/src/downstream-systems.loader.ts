import { readFileSync } from 'node:fs';
import type { PurposeTaxonomy } from '@consent-ledger/consent-domain';
import { parse } from 'yaml';
import { z } from 'zod';

const systemsFileSchema = z.object({
  systems: z.record(
    z.string().regex(/^[a-z-]+$/),
    z.object({
      description: z.string().min(1),
      purposes: z.array(z.string()).min(1),
      subscriptionGroups: z.record(z.string(), z.string()).default({}),
      identifiedBy: z.enum(['external-id', 'email']).default('external-id'),
      propagationObjectiveMs: z.number().int().positive().default(2_000),
      transactionalCampaigns: z
        .object({
          reconsentRequest: z.string().min(1).default('consent-reconsent-request'),
          reconsentReminder: z.string().min(1).default('consent-reconsent-reminder'),
          renewalReminder: z.string().min(1).default('consent-renewal-reminder'),
          consentLapsed: z.string().min(1).default('consent-lapsed'),
        })
        .prefault({}),
    }),
  ),
});

/** One downstream system and the purposes it serves. */
export interface DownstreamSystem {
  readonly name: string;
  readonly description: string;
  readonly purposes: readonly string[];
  readonly subscriptionGroups: Readonly<Record<string, string>>;
  /**
   * How the vendor knows a person: `external-id`, our pseudonymous subject id (the default), or
   * `email`, the address the identity vault holds, opened at call time and never put on a topic.
   * An erasure keeps the subject's key until such a system confirmed deleting the person.
   */
  readonly identifiedBy: VendorIdentifier;
  /**
   * The p99 a withdrawal must reach the system within (accepted by the API → acknowledged by the
   * vendor), in ms; the compliance dashboard shows the system red beyond it. Default 2,000.
   */
  readonly propagationObjectiveMs: number;
  /**
   * The platform's transactional campaigns (its templates) for the messages the consent API
   * sends people: re-consent requests and reminders, renewal reminders, lapse notices.
   */
  readonly transactionalCampaigns: TransactionalCampaigns;
}

/** The campaign ids used when downstream-systems.yaml names none. */
export const defaultTransactionalCampaigns: TransactionalCampaigns = {
  reconsentRequest: 'consent-reconsent-request',
  reconsentReminder: 'consent-reconsent-reminder',
  renewalReminder: 'consent-renewal-reminder',
  consentLapsed: 'consent-lapsed',
};

/** Campaign ids of the lifecycle messages, by what the message is. */
export interface TransactionalCampaigns {
  readonly reconsentRequest: string;
  readonly reconsentReminder: string;
  readonly renewalReminder: string;
  readonly consentLapsed: string;
}

/** What a downstream system knows people by. */
export type VendorIdentifier = 'external-id' | 'email';

/** Whether the system addresses people by an identifier only the identity vault holds. */
export const addressedThroughVault = (system: Pick<DownstreamSystem, 'identifiedBy'>): boolean =>
  system.identifiedBy !== 'external-id';

/**
 * Reads which purposes each downstream system serves; every purpose must be a consent-based
 * purpose of the taxonomy, so a typo fails at boot rather than silently suppressing nothing.
 */
export function loadDownstreamSystems(
  file: string,
  taxonomy: PurposeTaxonomy,
): Map<string, DownstreamSystem> {
  const parsed = systemsFileSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `DOWNSTREAM_SYSTEMS_FILE ${file} is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const problems: string[] = [];
  const systems = new Map<string, DownstreamSystem>();
  for (const [name, system] of Object.entries(parsed.data.systems)) {
    for (const purpose of system.purposes) {
      if (taxonomy.purposes.get(purpose)?.basis !== 'consent')
        problems.push(`${name}: '${purpose}' is not a consent-based purpose of the taxonomy`);
    }
    systems.set(name, { name, ...system });
  }
  if (problems.length > 0)
    throw new Error(`DOWNSTREAM_SYSTEMS_FILE ${file}: ${problems.join('; ')}`);
  return systems;
}
