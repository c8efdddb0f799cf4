import { EVERY_PURPOSE } from '@consent-ledger/consent-domain';
import { randomUUID } from 'node:crypto';
import type { AvroSerde, ConsentDecisionRecord } from '@consent-ledger/kafka';
// The file, not the barrel: an embedding service should not load the Nest module with it.
import { ResilientConsumer } from '@consent-ledger/kafka/resilient-consumer';
import type { ConsumerLiveness } from '@consent-ledger/kafka/resilient-consumer';
import { NonRetriableError } from '@consent-ledger/kafka/processing-errors';
import { retryWhileSettling } from '@consent-ledger/kafka/transient-errors';
import type { Kafka } from 'kafkajs';

/** The current decision for one subject and purpose, as consent.state.v1 carries it. */
export type ConsentStateRecord = ConsentDecisionRecord;

export interface ConsentViewOptions {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** consent.state.v1, with the deployment's prefix. */
  readonly stateTopic: string;
  /** The latest consent-decision schema text, so old records come out in today's shape. */
  readonly readerSchema?: string;
  /** How often the view asks the broker where the log ends (for lag and staleness). */
  readonly watermarkRefreshMs?: number;
  /** Hears each record that can never be decoded; the view skips it and reads on. */
  readonly onUnreadable?: (record: UnreadableRecord) => void;
}

/** A record of consent.state.v1 the view could not decode (not Avro, unknown schema, …). */
export interface UnreadableRecord {
  /** The record's key, `subjectId|purpose`, when it has one. */
  readonly key: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly reason: string;
}

/** How far the view is from the log: what fail-closed decisions check. */
export interface ViewFreshness {
  /** Records between what the view has read and the end of the log, over all partitions. */
  readonly lagRecords: number;
  /** Since the view last learnt where the log ends (a broker it cannot reach looks current). */
  readonly msSinceWatermark: number;
}

/** The offsets the view has read, per partition of consent.state.v1: the position an answer reflects. */
export interface ViewPosition {
  readonly topic: string;
  readonly offsets: Readonly<Record<string, number>>;
}

export type ChangeListener = (
  record: ConsentStateRecord,
  previous: ConsentStateRecord | undefined,
) => void;

/**
 * What a downstream service embeds: an always-current, in-memory view of consent.state.v1.
 * `start()` resolves once the view has read the topic up to where it ended at start; after that
 * answers come from memory (a Map lookup) and listeners hear every change.
 */
export class ConsentView {
  /** Subject -> purpose -> decision. */
  private readonly subjects = new Map<string, Map<string, ConsentStateRecord>>();
  /** Subject ids in the order the view first saw them: append-only, so a position is stable. */
  private readonly subjectOrder: string[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private readonly positions = new Map<number, number>();
  private readonly highWatermarks = new Map<number, number>();
  private consumer?: ResilientConsumer;
  private watermarkTimer?: NodeJS.Timeout;
  private watermarkAt = 0;
  private watermarkAdmin?: ReturnType<Kafka['admin']>;
  private stopped = false;
  /** position() and the lag sum, built once per change of offsets rather than per question. */
  private positionCache?: ViewPosition;
  private lagCache?: number;
  /**
   * Keys whose latest record could not be decoded: their answer is unknown, so isAllowed denies
   * them until a readable record for the key arrives (the records behind still apply).
   */
  private readonly unreadable = new Map<string, UnreadableRecord>();

  constructor(private readonly options: ConsentViewOptions) {}

  /** Reads the whole compacted topic, then follows it; resolves when caught up. */
  async start(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const admin = this.options.kafka.admin();
    // A view that starts while the cluster settles (a broker restarting, a leader moving) waits
    // for it within its time rather than failing its app's start.
    const ends = await retryWhileSettling(
      async () => {
        await admin.connect();
        return admin.fetchTopicOffsets(this.options.stateTopic);
      },
      { what: `reading where ${this.options.stateTopic} ends`, timeoutMs },
    );
    const targets = new Map(ends.map((end) => [end.partition, Number(end.high)]));
    ends.forEach((end) => this.highWatermarks.set(end.partition, Number(end.high)));
    this.watermarkAt = Date.now();
    this.followWatermarks(admin);

    // A group of its own that never commits: every instance (and every restart after a crash)
    // reads the topic from the start; apply() ignores what it has already seen.
    this.consumer = new ResilientConsumer({
      kafka: this.options.kafka,
      config: { groupId: `consent-view-${randomUUID()}`, maxWaitTimeInMs: 250 },
      topics: [this.options.stateTopic],
      run: {
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (message.value) {
              try {
                this.apply(
                  await this.options.serde.decode<ConsentStateRecord>(
                    message.value,
                    this.options.readerSchema,
                  ),
                );
              } catch (error) {
                // An unreachable registry is retried (the batch throws); a record that can never
                // be read is set aside so that it does not hold up the partition behind it.
                if (!(error instanceof NonRetriableError)) throw error;
                const unreadable: UnreadableRecord = {
                  key: message.key?.toString() ?? null,
                  partition: batch.partition,
                  offset: Number(message.offset),
                  reason: error.message,
                };
                if (unreadable.key !== null) this.unreadable.set(unreadable.key, unreadable);
                this.options.onUnreadable?.(unreadable);
              }
            }
            this.positions.set(batch.partition, Number(message.offset) + 1);
          }
          this.highWatermarks.set(batch.partition, Number(batch.highWatermark));
          this.offsetsMoved();
        },
      },
      log: () => undefined,
    });
    await this.consumer.start();
    while ([...targets].some(([partition, end]) => (this.positions.get(partition) ?? 0) < end)) {
      if (Date.now() > deadline)
        throw new Error(
          `consent view did not catch up with ${this.options.stateTopic} within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.watermarkTimer);
    await this.watermarkAdmin?.disconnect().catch(() => undefined);
    await this.consumer?.stop();
  }

  /** The subject's current decision for the purpose, or undefined when none was ever published. */
  decision(subjectId: string, purpose: string): ConsentStateRecord | undefined {
    return this.subjects.get(subjectId)?.get(purpose);
  }

  /** Every published decision of the subject, by purpose (empty for a subject never seen). */
  decisionsOf(subjectId: string): ReadonlyMap<string, ConsentStateRecord> {
    return this.subjects.get(subjectId) ?? new Map();
  }

  /**
   * The subjects the view holds decisions for, in the order it first saw them, starting at
   * `index`. The order only grows at the end, so an index is a stable paging cursor.
   */
  *subjectIdsFrom(index = 0): IterableIterator<string> {
    for (let at = index; at < this.subjectOrder.length; at += 1) yield this.subjectOrder[at]!;
  }

  get subjectCount(): number {
    return this.subjects.size;
  }

  freshness(now = Date.now()): ViewFreshness {
    if (this.lagCache === undefined) {
      this.lagCache = 0;
      for (const records of this.lag().values()) this.lagCache += records;
    }
    return { lagRecords: this.lagCache, msSinceWatermark: now - this.watermarkAt };
  }

  position(): ViewPosition {
    return (this.positionCache ??= {
      topic: this.options.stateTopic,
      offsets: Object.fromEntries(
        [...this.highWatermarks.keys()]
          .sort((a, b) => a - b)
          .map((partition) => [String(partition), this.positions.get(partition) ?? 0]),
      ),
    });
  }

  /** Offsets or the log's end moved: position() and freshness() recompute on next use. */
  private offsetsMoved(): void {
    this.positionCache = undefined;
    this.lagCache = undefined;
  }

  /**
   * Whether the purpose is allowed at `at` (now). With no published decision the regime's
   * default applies, which only the caller knows (`whenUnknown`; deny by default: fail closed).
   * A grant is denied from the instant it expires, before the EXPIRE record arrives.
   */
  isAllowed(subjectId: string, purpose: string, whenUnknown = false, at = Date.now()): boolean {
    if (this.isUnreadable(subjectId, purpose)) return false;
    // An erased subject (its record for every purpose, '*') is denied everything.
    if (this.decision(subjectId, EVERY_PURPOSE)?.allowed === false) return false;
    const decision = this.decision(subjectId, purpose);
    if (!decision) return whenUnknown;
    const until = decision.allowedUntil;
    return decision.allowed && !(until && until.getTime() <= at);
  }

  /** The latest record for this subject and purpose could not be decoded: the answer is unknown. */
  isUnreadable(subjectId: string, purpose: string): boolean {
    return this.unreadable.has(`${subjectId}|${purpose}`);
  }

  /** Keys whose latest record could not be decoded. */
  get unreadableCount(): number {
    return this.unreadable.size;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether the view's consumer runs, how often it restarted, when it last read a batch. */
  liveness(): ConsumerLiveness {
    return (
      this.consumer?.liveness() ?? {
        running: false,
        restarts: 0,
        lastBatchAt: null,
        lag: this.lag(),
      }
    );
  }

  /** Records between what the view has read and the end of the log, per partition. */
  lag(): Map<number, number> {
    return new Map(
      [...this.highWatermarks].map(([partition, end]) => [
        partition,
        Math.max(0, end - (this.positions.get(partition) ?? 0)),
      ]),
    );
  }

  /** Keeps asking where the log ends, so a view that stopped hearing from the broker knows it. */
  private followWatermarks(admin: ReturnType<Kafka['admin']>): void {
    this.watermarkAdmin = admin;
    const every = this.options.watermarkRefreshMs ?? 500;
    const refresh = async () => {
      try {
        const ends = await admin.fetchTopicOffsets(this.options.stateTopic);
        ends.forEach((end) =>
          this.highWatermarks.set(
            end.partition,
            Math.max(Number(end.high), this.highWatermarks.get(end.partition) ?? 0),
          ),
        );
        this.offsetsMoved();
        this.watermarkAt = Date.now();
      } catch {
        // Unreachable broker: msSinceWatermark grows and fail-closed callers deny.
      }
      if (!this.stopped) this.watermarkTimer = setTimeout(() => void refresh(), every);
    };
    this.watermarkTimer = setTimeout(() => void refresh(), every);
  }

  private apply(record: ConsentStateRecord): void {
    this.unreadable.delete(`${record.subjectId}|${record.purpose}`);
    let purposes = this.subjects.get(record.subjectId);
    if (!purposes) {
      purposes = new Map();
      this.subjects.set(record.subjectId, purposes);
      this.subjectOrder.push(record.subjectId);
    }
    const previous = purposes.get(record.purpose);
    // A re-published or older update (by source offset) never replaces a newer one.
    if (
      previous &&
      previous.sourceOffset >= record.sourceOffset &&
      previous.sourcePartition === record.sourcePartition
    )
      return;
    purposes.set(record.purpose, record);
    for (const listener of this.listeners) listener(record, previous);
  }
}
