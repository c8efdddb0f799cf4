import type { ConsentEvent, DecisionChange } from '@consent-ledger/consent-domain';
import { AvroSerde, NonRetriableError } from '@consent-ledger/kafka';
import type { OutboxMessage, PositionedEvent } from '@consent-ledger/persistence';
import type { KafkaMessage } from 'kafkajs';
import type { ProjectionTarget } from './projection-target';
import type { Decoded } from './refused-events';

/** A record of the events topic as an event with its position, or poison to dead-letter. */
export async function decodeConsentRecord(
  serde: AvroSerde,
  target: Pick<ProjectionTarget, 'eventsTopic' | 'readerSchema'>,
  partition: number,
  message: KafkaMessage,
): Promise<Decoded> {
  const poison = (error: NonRetriableError): Decoded => ({
    kind: 'poison',
    letter: { message, sourceTopic: target.eventsTopic, partition, error },
  });
  let event: ConsentEvent;
  try {
    event = await serde.decode<ConsentEvent>(message.value, target.readerSchema);
  } catch (error) {
    if (error instanceof NonRetriableError) return poison(error);
    throw error;
  }
  if (message.key?.toString() !== event.subjectId) {
    return poison(
      new NonRetriableError(
        'RECORD.KEY_MISMATCH',
        `record key '${message.key?.toString() ?? ''}' is not the event's subject id '${event.subjectId}'`,
      ),
    );
  }
  return {
    kind: 'event',
    entry: {
      event,
      position: { topic: target.eventsTopic, partition, offset: message.offset },
    },
  };
}

/** The state-topic update, and the suppression update when downstream systems must act. */
export function decisionMessages(
  change: DecisionChange,
  { event, position }: PositionedEvent,
  target: Pick<ProjectionTarget, 'consentPolicy' | 'stateTopic' | 'suppressionTopic'>,
): OutboxMessage[] {
  const decision = change.after;
  const payload = {
    subjectId: event.subjectId,
    purpose: decision.purpose,
    allowed: decision.allowed,
    reason: decision.reason,
    basis: decision.basis,
    regime: decision.regime,
    decidedBy: decision.decidedBy,
    causeEventId: event.eventId,
    effectiveAt: event.occurredAt.getTime(),
    causeRecordedAt: event.recordedAt.getTime(),
    allowedUntil: decision.allowedUntil?.getTime() ?? null,
    policyVersion: target.consentPolicy.policy.version,
    sourceTopic: position.topic,
    sourcePartition: position.partition,
    sourceOffset: Number(position.offset),
  };
  const state = {
    topic: target.stateTopic,
    key: `${event.subjectId}|${decision.purpose}`,
    payload,
  };
  return change.suppressionChanged
    ? [state, { topic: target.suppressionTopic(decision.purpose), key: event.subjectId, payload }]
    : [state];
}

/** Drops events the read model holds already, or that repeat one earlier in the batch. */
export function withoutDuplicates(
  entries: readonly PositionedEvent[],
  applied: ReadonlySet<string>,
): PositionedEvent[] {
  const seen = new Set<string>();
  return entries.filter(({ event }) => {
    const keys = [`id:${event.eventId}`, `key:${event.subjectId}\u0000${event.idempotencyKey}`];
    if (applied.has(event.eventId) || keys.some((key) => seen.has(key))) return false;
    keys.forEach((key) => seen.add(key));
    return true;
  });
}

export function countBy<T>(items: readonly T[], keyOf: (item: T) => number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}
