import type { BrokenLink } from '@consent-ledger/consent-domain';
import { NonRetriableError } from '@consent-ledger/kafka';
import type { DeadLetter } from '@consent-ledger/kafka';
import type { PositionedEvent } from '@consent-ledger/persistence';
import type { KafkaMessage } from 'kafkajs';

/**
 * The report of an event whose link is not its subject's head: dead-lettered as
 * CHAIN.BROKEN_LINK when held back, CHAIN.BROKEN_LINK_APPLIED when applied because it only
 * restricts. Either way someone must look: the log was tampered with, or a writer misbehaved.
 */
export function brokenLinkLetter(
  batches: ReadonlyArray<{
    readonly partition: number;
    readonly messages: readonly KafkaMessage[];
  }>,
  { entry, expected, applied }: BrokenLink<PositionedEvent>,
  sourceTopic: string,
): DeadLetter {
  const { partition, offset } = entry.position;
  const message = batches
    .find((batch) => batch.partition === partition)!
    .messages.find((candidate) => candidate.offset === offset)!;
  const short = (hash: string | null) => (hash === null ? 'none' : `${hash.slice(0, 12)}…`);
  const link = `event ${entry.event.eventId} links to ${short(entry.event.previousEventHash)}, but the subject's last applied event hashes to ${short(expected)}${expected === null ? ' (the subject has no event yet)' : ''}`;
  return {
    message,
    sourceTopic,
    partition,
    error: applied
      ? new NonRetriableError(
          'CHAIN.BROKEN_LINK_APPLIED',
          `${link}. Applied all the same: a ${entry.event.action.toLowerCase()} only restricts.`,
        )
      : new NonRetriableError(
          'CHAIN.BROKEN_LINK',
          `${link}. Held back: a grant the chain cannot vouch for is not applied.`,
        ),
  };
}
