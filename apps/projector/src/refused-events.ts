import type { SubjectConsentState } from '@consent-ledger/consent-domain';
import { NonRetriableError } from '@consent-ledger/kafka';
import type { DeadLetter } from '@consent-ledger/kafka';
import { dataRefusalReason, isDataRefusal, runReads, runWrites } from '@consent-ledger/persistence';
import type {
  ConsentReadModelRepository,
  PositionedEvent,
  SqlWrite,
} from '@consent-ledger/persistence';
import type { DataSource } from 'typeorm';

/** A record of a fetch as the projection sees it: an event to apply, or a dead letter. */
export type Decoded =
  | { readonly kind: 'event'; readonly entry: PositionedEvent }
  | {
      readonly kind: 'poison';
      readonly letter: DeadLetter;
      /**
       * The event PostgreSQL refused, when the record was one: it is not applied, but it is a
       * link of its subject's chain, and the events after it link to it.
       */
      readonly refused?: PositionedEvent;
    };

/** The partition and records of one batch of a fetch. */
interface BatchRecords {
  readonly partition: number;
  readonly messages: ReadonlyArray<DeadLetter['message']>;
}

/**
 * The decoded records with each event PostgreSQL refuses on its own turned into a dead letter
 * with the reason; undefined when none does alone (then the failure is not one record's data,
 * and the caller retries as for any other failure). One probe per event, paid only when a fetch
 * was refused.
 */
export async function quarantineRefused(
  batches: readonly BatchRecords[],
  decoded: ReadonlyArray<readonly Decoded[]>,
  sourceTopic: string,
  reasonOf: (entry: PositionedEvent) => Promise<string | undefined>,
): Promise<Decoded[][] | undefined> {
  let refused = 0;
  const checked: Decoded[][] = [];
  for (const [index, items] of decoded.entries()) {
    const { partition, messages } = batches[index]!;
    const out: Decoded[] = [];
    for (const item of items) {
      const reason = item.kind === 'event' ? await reasonOf(item.entry) : undefined;
      if (item.kind === 'poison' || reason === undefined) {
        out.push(item);
        continue;
      }
      refused += 1;
      const message = messages.find(({ offset }) => offset === item.entry.position.offset)!;
      const error = new NonRetriableError('RECORD.DATA_REFUSED', reason);
      out.push({
        kind: 'poison',
        letter: { message, sourceTopic, partition, error },
        refused: item.entry,
      });
    }
    checked.push(out);
  }
  return refused > 0 ? checked : undefined;
}

/**
 * Why PostgreSQL refuses this event's writes on their own, if it does: they are run in a
 * transaction that is rolled back, so nothing is kept.
 */
export async function refusalOf(
  dataSource: DataSource,
  readModel: ConsentReadModelRepository,
  entry: PositionedEvent,
  writesOf: (
    entries: readonly PositionedEvent[],
    states: Map<string, SubjectConsentState>,
  ) => ReadonlyArray<SqlWrite | undefined>,
): Promise<string | undefined> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    const subjectId = entry.event.subjectId;
    const [subjects, choices] = await runReads(runner.manager, readModel.statesReads([subjectId]));
    const states = readModel.statesFrom([subjectId], subjects!, choices!);
    await runWrites(runner.manager, writesOf([entry], states));
    return undefined;
  } catch (error) {
    return isDataRefusal(error) ? dataRefusalReason(error) : undefined;
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}
