import type { ConsentEvent } from './consent-event';

/**
 * The canonical text of an event, hashed to chain a subject's events: fields in schema order,
 * times as ISO-8601 UTC, absent values as null. Any change to any field changes the text.
 */
export function canonicalEventText(event: ConsentEvent): string {
  const time = (value: Date | null) => (value === null ? null : value.toISOString());
  return JSON.stringify([
    event.eventId,
    event.subjectId,
    event.purpose,
    event.action,
    event.jurisdiction,
    event.legalBasis,
    event.channel,
    event.method,
    event.notice === null
      ? null
      : [event.notice.noticeId, event.notice.version, event.notice.textSha256],
    time(event.occurredAt),
    time(event.recordedAt),
    time(event.expiresAt),
    [event.actor.type, event.actor.id],
    event.evidence === null
      ? null
      : [event.evidence.ipAddressHash, event.evidence.userAgent, event.evidence.reference],
    event.ageBand,
    event.idempotencyKey,
    event.previousEventHash,
    // Appended only when set, so that events written before it was kept hash as they did.
    ...(event.recordedBy ? [event.recordedBy] : []),
  ]);
}
