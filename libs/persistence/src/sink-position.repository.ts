import type { DataSource } from 'typeorm';
import { GroupCommitQueue } from './group-commit.queue';
import { queryPrepared } from './prepared-query';

/** A connector's record of what it delivered (see the sink_position migration). */
export class SinkPositionRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sink: string,
  ) {}

  /** The source offsets last delivered for these subject|purpose pairs (absent when never). */
  async deliveredOffsets(
    pairs: ReadonlyArray<{ subjectId: string; purpose: string }>,
  ): Promise<Map<string, bigint>> {
    if (pairs.length === 0) return new Map();
    const rows: Array<{ subject_id: string; purpose: string; source_offset: string }> =
      await queryPrepared(
        this.dataSource.manager,
        // One primary-key lookup per pair whatever the statistics say (LIMIT 1 keeps the planner
        // from turning it into a join that, with statistics from when the table was small,
        // reads every position of the sink).
        `SELECT p.subject_id, p.purpose, p.source_offset
           FROM unnest($2::text[], $3::text[]) AS k(subject_id, purpose)
           CROSS JOIN LATERAL (
             SELECT subject_id, purpose, source_offset FROM sink_position
              WHERE sink = $1 AND subject_id = k.subject_id AND purpose = k.purpose LIMIT 1) p`,
        [this.sink, pairs.map((pair) => pair.subjectId), pairs.map((pair) => pair.purpose)],
      );
    return new Map(
      rows.map((row) => [`${row.subject_id}|${row.purpose}`, BigInt(row.source_offset)]),
    );
  }

  /**
   * Records deliveries: each is appended to sink_delivery (what the system was told and when, for
   * proofs) and kept as the position, which never moves backwards; `closesCall` removes the
   * call's intent in the same statement. Deliveries recorded while an earlier statement is in
   * flight are written together in the next one (group commit), so a busy sink pays one round
   * trip for many deliveries; each caller still waits for its own.
   */
  recordDeliveries(deliveries: readonly DeliveredUpdate[], closesCall?: string): Promise<void> {
    return this.recordings.submit({ deliveries, closesCall });
  }

  /**
   * Writes the intents of calls before they are sent, in one statement: the updates each carries
   * and the partitions they come from ('topic:partition'), for sending it again as it was if this
   * process stops before recording its deliveries.
   */
  async openCalls<T>(calls: ReadonlyArray<CallIntent<T>>): Promise<void> {
    if (calls.length === 0) return;
    await queryPrepared(
      this.dataSource.manager,
      `INSERT INTO sink_call_intent (sink, call_key, spans, updates)
       SELECT $1, c.call_key, ARRAY(SELECT jsonb_array_elements_text(c.spans)), c.updates
         FROM jsonb_to_recordset($2::jsonb) AS c(call_key text, spans jsonb, updates jsonb)
       ON CONFLICT (sink, call_key) DO NOTHING`,
      [
        this.sink,
        JSON.stringify(
          calls.map((call) => ({
            call_key: call.callKey,
            spans: call.spans,
            updates: call.updates,
          })),
        ),
      ],
    );
  }

  /** Calls that carry updates of this partition, sent (or about to be) but never recorded, oldest first. */
  async openCallsOf(
    topic: string,
    partition: number,
  ): Promise<Array<{ callKey: string; updates: unknown[] }>> {
    const rows: Array<{ call_key: string; updates: unknown[] }> = await queryPrepared(
      this.dataSource.manager,
      `SELECT call_key, updates FROM sink_call_intent WHERE sink = $1 AND $2 = ANY(spans)
        ORDER BY created_at`,
      [this.sink, partitionSpan(topic, partition)],
    );
    return rows.map((row) => ({ callKey: row.call_key, updates: row.updates }));
  }

  /** Removes a call's intent without recording deliveries (its updates go another way). */
  async closeCall(callKey: string): Promise<void> {
    await queryPrepared(
      this.dataSource.manager,
      `DELETE FROM sink_call_intent WHERE sink = $1 AND call_key = $2`,
      [this.sink, callKey],
    );
  }

  private readonly recordings = new GroupCommitQueue<Recording, void>(
    async (recordings) => {
      const deliveries = recordings.flatMap((recording) => recording.deliveries);
      const closed = recordings.flatMap((recording) =>
        recording.closesCall ? [recording.closesCall] : [],
      );
      // One row per subject|purpose for the position (the highest offset), every one for the log.
      const latest = new Map<string, DeliveredUpdate>();
      for (const delivery of deliveries) {
        const key = `${delivery.subjectId}|${delivery.purpose}`;
        const seen = latest.get(key);
        if (!seen || seen.sourceOffset < delivery.sourceOffset) latest.set(key, delivery);
      }
      const columns = (rows: readonly DeliveredUpdate[]) => [
        rows.map((row) => row.subjectId),
        rows.map((row) => row.purpose),
        rows.map((row) => row.sourceOffset.toString()),
        rows.map((row) => row.causeEventId),
        rows.map((row) => row.allowed),
      ];
      await queryPrepared(
        this.dataSource.manager,
        `WITH delivery AS (
           INSERT INTO sink_delivery (sink, subject_id, purpose, source_offset, cause_event_id, allowed)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::uuid[], $6::boolean[])),
         closed AS (DELETE FROM sink_call_intent WHERE sink = $1 AND call_key = ANY($12::text[]))
         INSERT INTO sink_position (sink, subject_id, purpose, source_offset, cause_event_id, allowed)
         SELECT $1, * FROM unnest($7::text[], $8::text[], $9::bigint[], $10::uuid[], $11::boolean[])
         ON CONFLICT (sink, subject_id, purpose) DO UPDATE SET source_offset = EXCLUDED.source_offset,
           cause_event_id = EXCLUDED.cause_event_id, allowed = EXCLUDED.allowed, delivered_at = now()
         WHERE sink_position.source_offset < EXCLUDED.source_offset`,
        [this.sink, ...columns(deliveries), ...columns([...latest.values()]), closed],
      );
      return recordings.map(() => undefined);
    },
    1_000,
    (recording) => recording.deliveries.length,
  );
}

interface Recording {
  readonly deliveries: readonly DeliveredUpdate[];
  readonly closesCall: string | undefined;
}

/** How an intent names a partition its updates come from ('topic:partition'). */
export function partitionSpan(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** A vendor call about to be sent: its key, the partitions its updates come from, and them. */
export interface CallIntent<T> {
  readonly callKey: string;
  /** {@link partitionSpan} of each partition the updates come from. */
  readonly spans: readonly string[];
  readonly updates: readonly T[];
}

/** What a sink told its downstream system about one subject and purpose. */
export interface DeliveredUpdate {
  readonly subjectId: string;
  readonly purpose: string;
  /** Offset of the suppression record in its topic. */
  readonly sourceOffset: bigint;
  readonly causeEventId: string;
  readonly allowed: boolean;
}
