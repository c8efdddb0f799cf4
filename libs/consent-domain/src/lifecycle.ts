import { compareVersions } from './consent-policy';
import type { PurposeChoice } from './consent-state';

/** How the system asks people again, and reminds them before a renewal lapses (policy). */
export interface LifecycleRules {
  readonly reconsent: ReconsentSchedule;
  /** How long before a grant of a purpose with a renewal period lapses its person is reminded. */
  readonly renewalReminderLeadMs: number;
}

/** After a material notice version is published: how long older grants count, when to remind. */
export interface ReconsentSchedule {
  readonly graceMs: number;
  /** After the request, in increasing order; reminders due at or after the grace end are dropped. */
  readonly remindAfterMs: readonly number[];
}

export const defaultLifecycleRules: LifecycleRules = {
  reconsent: { graceMs: days(30), remindAfterMs: [days(7), days(21)] },
  renewalReminderLeadMs: days(30),
};

function days(count: number): number {
  return count * 86_400_000;
}

const durationPattern =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * An ISO 8601 duration of weeks, days, hours, minutes and seconds (`P30D`, `PT2S`, `P1DT12H`) in
 * milliseconds; a day is 24 hours. Months and years are refused: their length depends on the
 * date. Undefined when `text` is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [weeks, dayCount, hours, minutes, seconds] = match
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part)));
  return Math.round(
    ((((weeks! * 7 + dayCount!) * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000,
  );
}

/** One message of a re-consent campaign: step 0 is the request, the others are reminders. */
export interface ReconsentStep {
  readonly step: number;
  readonly dueAt: Date;
}

/** When a campaign started at `startedAt` asks, and when its grace period ends. */
export function reconsentSteps(
  startedAt: Date,
  schedule: ReconsentSchedule,
): { readonly steps: readonly ReconsentStep[]; readonly graceEndsAt: Date } {
  const start = startedAt.getTime();
  const graceEndsAt = start + schedule.graceMs;
  const reminders = [...new Set(schedule.remindAfterMs)]
    .filter((after) => after > 0 && start + after < graceEndsAt)
    .sort((a, b) => a - b);
  return {
    steps: [0, ...reminders].map((after, step) => ({ step, dueAt: new Date(start + after) })),
    graceEndsAt: new Date(graceEndsAt),
  };
}

/** The notice version a re-consent campaign asks people to agree to. */
export interface CampaignNotice {
  readonly noticeId: string;
  readonly version: string;
}

/**
 * Whether a person's latest choice for a purpose still rests on a grant given under an older
 * version of the campaign's notice (and not lapsed by `at`): they have not answered yet.
 */
export function awaitsReconsent(
  choice: Pick<PurposeChoice, 'action' | 'notice' | 'expiresAt'>,
  notice: CampaignNotice,
  at: Date,
): boolean {
  return (
    choice.action === 'GRANT' &&
    choice.notice?.noticeId === notice.noticeId &&
    compareVersions(choice.notice.version, notice.version) < 0 &&
    (choice.expiresAt === null || choice.expiresAt.getTime() > at.getTime())
  );
}

/**
 * Whether a reminder that grant `grantEventId` lapses should still go out: the person's latest
 * choice is that very grant, not yet lapsed (a renewal, a withdrawal or an expiry replaced it).
 */
export function awaitsRenewal(
  choice: Pick<PurposeChoice, 'action' | 'eventId' | 'expiresAt'>,
  grantEventId: string,
  at: Date,
): boolean {
  return (
    choice.action === 'GRANT' &&
    choice.eventId === grantEventId &&
    choice.expiresAt !== null &&
    choice.expiresAt.getTime() > at.getTime()
  );
}

/**
 * Whether a person should be told that grant `grantEventId` lapsed: it did (by `at`), and their
 * latest choice is still that grant or its EXPIRE (a renewal or a withdrawal since says otherwise).
 */
export function lapsedUnanswered(
  choice: Pick<PurposeChoice, 'action' | 'eventId' | 'occurredAt'>,
  grant: { readonly eventId: string; readonly expiresAt: Date },
  at: Date,
): boolean {
  if (grant.expiresAt.getTime() > at.getTime()) return false;
  if (choice.action === 'GRANT') return choice.eventId === grant.eventId;
  return choice.action === 'EXPIRE' && choice.occurredAt.getTime() === grant.expiresAt.getTime();
}
