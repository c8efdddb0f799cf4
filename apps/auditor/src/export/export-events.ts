import type { ConsentEvent } from '@consent-ledger/consent-domain';
import type { AuditContext } from '../audit-context';
import { readEventLog } from '../event-log.reader';
import type { LogReadProgress, UnreadableRecord } from '../event-log.reader';

export type ExportedEvent = ConsentEvent & { readonly partition: number; readonly offset: string };

export interface ExportOptions {
  readonly from: Date;
  readonly to: Date;
  readonly topic?: string;
  readonly onProgress?: (progress: LogReadProgress) => void;
}

/** Every event recorded in [from, to), read from the log, in the order they were recorded. */
export async function exportEvents(
  context: AuditContext,
  options: ExportOptions,
): Promise<{ events: ExportedEvent[]; unreadable: readonly UnreadableRecord[] }> {
  const events: ExportedEvent[] = [];
  const unreadable: UnreadableRecord[] = [];
  const from = options.from.getTime();
  const to = options.to.getTime();
  await readEventLog<ConsentEvent>({
    kafka: context.config.kafka,
    serde: context.serde,
    topic: options.topic ?? context.eventsTopic,
    readerSchema: context.readerSchema,
    onEvents: (batch) => {
      for (const { event, partition, offset } of batch) {
        const recorded = event.recordedAt.getTime();
        if (recorded >= from && recorded < to) events.push({ ...event, partition, offset });
      }
    },
    onUnreadable: (record) => unreadable.push(record),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  events.sort(
    (a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || (a.eventId < b.eventId ? -1 : 1),
  );
  return { events, unreadable };
}
