import type { ConsentEvent } from '@consent-ledger/consent-domain';
import { v7 as uuidv7 } from 'uuid';

/** What random events are drawn from. */
export interface RandomEventShape {
  readonly purposes: readonly string[];
  readonly jurisdictions: readonly string[];
  /** Share of grants that expire a day after they were given (0 by default). */
  readonly expiring?: number;
  /** Share of events that say the person is under 16 (0 by default). */
  readonly minors?: number;
}

/**
 * A grant (60%) or a withdrawal of a random purpose, at a random moment of 2026's first 300 days,
 * for tests and benchmarks that need many histories: the jurisdiction cycles with `index`, and the
 * idempotency key is `k-<index>`. Link the events (linkedEvents) before they go on the log.
 */
export function randomConsentEvent(
  index: number,
  subjectId: string,
  shape: RandomEventShape,
): ConsentEvent {
  const occurredAt = new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 300 * 86_400_000));
  const action = Math.random() < 0.6 ? 'GRANT' : 'WITHDRAW';
  return {
    eventId: uuidv7(),
    subjectId,
    purpose: shape.purposes[Math.floor(Math.random() * shape.purposes.length)]!,
    action,
    jurisdiction: shape.jurisdictions[index % shape.jurisdictions.length]!,
    legalBasis: 'CONSENT',
    channel: 'WEB',
    method: action === 'GRANT' ? 'BANNER' : 'PREFERENCE_CENTRE',
    notice:
      action === 'GRANT'
        ? { noticeId: 'privacy', version: '3', textSha256: 'cd'.repeat(32) }
        : null,
    occurredAt,
    recordedAt: occurredAt,
    expiresAt:
      Math.random() < (shape.expiring ?? 0) ? new Date(occurredAt.getTime() + 86_400_000) : null,
    actor: { type: 'SUBJECT', id: null },
    evidence: null,
    ageBand: Math.random() < (shape.minors ?? 0) ? 'UNDER_16' : null,
    idempotencyKey: `k-${index}`,
    previousEventHash: null,
  };
}
