import { Logger } from '@nestjs/common';
import {
  AvroSerde,
  batchIsCurrent,
  completeBatch,
  FetchBatchGatherer,
  NonRetriableError,
  ProcessingError,
  publishDeadLetters,
  gatheringConsumer,
  ResilientConsumer,
  sha256Hex,
} from '@consent-ledger/kafka';
import type { ConsumerLiveness } from '@consent-ledger/kafka';
import {
  partitionSpan,
  SinkPositionRepository,
  unstorableValueIn,
} from '@consent-ledger/persistence';
import type { CallIntent } from '@consent-ledger/persistence';
import type { Batch, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { connectorMetrics } from './connectors.metrics';
import { planDeliveryRounds } from './delivery-plan';
import { revivedUpdate } from './suppression-update';
import type { SuppressionTarget, SuppressionUpdate } from './suppression-update';
import { VendorBusyError } from './vendor-http';

/** Vendor calls in flight per batch (different subjects); one subject's updates stay in order. */
export const DELIVERY_CONCURRENCY = 16;

/** Longest text of an update the sink stores (a subject id is at most 128 characters). */
const MAX_UPDATE_TEXT_LENGTH = 1_000;

/** Backoff between vendor attempts: doubles from the first delay up to the cap, with jitter. */
export const SINK_RETRY = { firstDelayMs: 200, maxDelayMs: 10_000 } as const;

/**
 * How long the group waits for a silent member before giving its partitions to another: the
 * broker's smallest allowed session (group.min.session.timeout.ms, 6 s by default). kafkajs has
 * no static membership, so a killed connector's partitions stay with the dead member until its
 * session ends: at 30 s, a connector restarted at once delivered nothing for about 30 s.
 */
export const SINK_SESSION_TIMEOUT_MS = 6_000;
/** Heartbeats during a batch's vendor calls, well inside the session. */
const HEARTBEAT_PUMP_MS = 1_000;

export interface SuppressionSinkOptions {
  readonly kafka: Kafka;
  readonly dataSource: DataSource;
  readonly serde: AvroSerde;
  readonly deadLetterProducer: Producer;
  readonly target: SuppressionTarget;
  readonly topics: readonly string[];
  readonly deadLetterTopic: string;
  readonly consumerGroup: string;
  readonly readerSchema: string;
  readonly maxAttempts: number;
}

/**
 * Delivers one downstream system's suppression topics to its vendor. Plain kafkajs: delivery
 * must hold its partitions while it retries (the records behind wait), and offsets are committed
 * only after the vendor acknowledged or the update was dead-lettered. Every partition of a fetch
 * is delivered together (a FetchBatchGatherer joins the batches kafkajs hands over one by one), so
 * updates from several partitions share vendor calls and database round trips.
 * Each update is applied once: sink_position skips anything at or below what was delivered.
 */
export class SuppressionSink {
  private readonly logger: Logger;
  private readonly consumer: ResilientConsumer;
  private readonly positions: SinkPositionRepository;
  /**
   * Partitions (`topic:partition`) whose open calls were looked for since this consumer joined
   * its group. Calls this process opens are closed within their batch, so one look per
   * assignment suffices; a batch that fails part-way clears its partition's entry.
   */
  private readonly openCallsChecked = new Set<string>();
  private readonly gatherer = new FetchBatchGatherer<GatheredBatch, void>(async (batches) => {
    await this.deliverBatches(batches);
    return batches.map(() => undefined);
  });

  constructor(private readonly options: SuppressionSinkOptions) {
    this.logger = new Logger(`SuppressionSink:${options.target.name}`);
    this.positions = new SinkPositionRepository(options.dataSource, options.target.name);
    this.consumer = gatheringConsumer({
      kafka: options.kafka,
      groupId: options.consumerGroup,
      sessionTimeout: SINK_SESSION_TIMEOUT_MS,
      topics: options.topics,
      eachBatch: (payload) => this.onBatch(payload),
      log: (message, details) => this.logger.warn({ ...details, msg: message }),
      // A partition that changed hands may hold calls its previous owner never recorded.
      onGroupJoin: () => this.openCallsChecked.clear(),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  liveness(): ConsumerLiveness {
    return this.consumer.liveness();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    if (!batchIsCurrent(payload) || payload.batch.messages.length === 0) return;
    await this.gatherer.submit({ batch: payload.batch, heartbeat: payload.heartbeat });
    await completeBatch(payload);
  }

  /**
   * Delivers the batches of one fetch. First, once per partition assignment, any call an earlier
   * run sent but never recorded, again as it was. Then in rounds: the first update of every
   * subject and purpose, then the second, so one subject's updates reach the vendor in order; a
   * round's updates share calls where the vendor allows (same call key, up to its batch limit),
   * whatever partition they come from, up to DELIVERY_CONCURRENCY calls at a time. The offsets
   * move only after every update was delivered or dead-lettered.
   */
  private async deliverBatches(batches: readonly GatheredBatch[]): Promise<void> {
    const heartbeat = batches[0]!.heartbeat;
    // Vendor calls may take up to the call timeout each: heartbeats go on beside them, so the
    // short session (SINK_SESSION_TIMEOUT_MS) only ends for a process that is really gone.
    const pump = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_PUMP_MS);
    try {
      await this.deliverDecoded(batches, heartbeat);
    } finally {
      clearInterval(pump);
    }
  }

  private async deliverDecoded(
    batches: readonly GatheredBatch[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const decoded = await Promise.all(
      batches.flatMap(({ batch }) =>
        batch.messages.map((message) => this.decode(batch.topic, batch.partition, message)),
      ),
    );
    const spans = batches.map(({ batch }) => partitionSpan(batch.topic, batch.partition));
    try {
      for (const [index, { batch }] of batches.entries()) {
        if (this.openCallsChecked.has(spans[index]!)) continue;
        await this.resendOpenCalls(batch.topic, batch.partition, heartbeat);
        this.openCallsChecked.add(spans[index]!);
      }
      const updates = decoded.filter((item): item is Pending => item !== undefined);
      const delivered = await this.positions.deliveredOffsets(updates.map(({ update }) => update));
      const { rounds, skipped } = planDeliveryRounds(updates, delivered, this.options.target);
      connectorMetrics.skipped.inc({ sink: this.options.target.name }, skipped);
      for (const round of rounds) {
        // Every call's intent is written before it is sent, a lone update's too: after a crash the
        // same call goes again with the same key, never regrouped under another the vendor applies again.
        const calls = round.map((items) => ({ items, callKey: callKeyOf(items) }));
        await this.positions.openCalls(
          calls.map(({ items, callKey }) => callIntent(items, callKey)),
        );
        await Promise.all(
          Array.from({ length: Math.min(DELIVERY_CONCURRENCY, calls.length) }, async () => {
            for (let call = calls.shift(); call; call = calls.shift())
              await this.deliverCall(call, heartbeat);
          }),
        );
      }
    } catch (error) {
      // Calls of these batches may still be open: look for them before their partitions' next batch.
      spans.forEach((span) => this.openCallsChecked.delete(span));
      throw error;
    }
  }

  /**
   * One vendor call, its intent already written (by the round). If the vendor refuses a call of
   * several updates or keeps failing, each is then delivered on its own (intents written first),
   * so only the ones the vendor cannot take are dead-lettered.
   */
  private async deliverCall(
    { items, callKey }: { readonly items: readonly Pending[]; readonly callKey: string },
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const updates = items.map(({ update }) => update);
    const failure = await this.deliverWithRetries(updates, callKey, heartbeat);
    if (!failure) return this.recorded(updates, callKey);
    await this.positions.closeCall(callKey);
    if (items.length === 1) return this.deadLetter(items[0]!, failure);
    this.logger.warn({
      code: failure.code,
      msg: `a call of ${updates.length} updates failed (${failure.message}); delivering them one by one`,
    });
    const alone = items.map((item) => ({ items: [item], callKey: callKeyOf([item]) }));
    await this.positions.openCalls(alone.map(({ items, callKey }) => callIntent(items, callKey)));
    for (const call of alone) await this.deliverCall(call, heartbeat);
  }

  /** Sends again, as they were, the calls an earlier run sent without recording them. */
  private async resendOpenCalls(
    topic: string,
    partition: number,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    for (const { callKey, updates: stored } of await this.positions.openCallsOf(topic, partition)) {
      const updates = stored.map(revivedUpdate);
      const failure = await this.deliverWithRetries(updates, callKey, heartbeat);
      // On failure the updates are still in this partition's log ahead of the committed
      // offset: they go the ordinary way, in new calls.
      if (failure) await this.positions.closeCall(callKey);
      else await this.recorded(updates, callKey);
    }
  }

  private async recorded(updates: readonly SuppressionUpdate[], closesCall: string): Promise<void> {
    const sink = this.options.target.name;
    await this.positions.recordDeliveries(
      updates.map((update) => ({
        subjectId: update.subjectId,
        purpose: update.purpose,
        sourceOffset: BigInt(update.sourceOffset),
        causeEventId: update.causeEventId,
        allowed: update.allowed,
      })),
      closesCall,
    );
    connectorMetrics.delivered.inc({ sink }, updates.length);
    for (const update of updates)
      connectorMetrics.propagationSeconds.observe(
        { sink },
        (Date.now() - update.causeRecordedAt.getTime()) / 1000,
      );
  }

  private async decode(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<Pending | undefined> {
    try {
      const update = await this.options.serde.decode<SuppressionUpdate>(
        message.value,
        this.options.readerSchema,
      );
      // Valid Avro produced straight to the topic can still hold what PostgreSQL refuses (NUL in
      // a subject id); retrying it would hold back every update of the fetch forever.
      const unstorable = unstorableValueIn(update, MAX_UPDATE_TEXT_LENGTH);
      if (unstorable) throw new NonRetriableError('RECORD.UNSTORABLE', unstorable);
      return { topic, partition, message, update };
    } catch (error) {
      if (!(error instanceof NonRetriableError)) throw error;
      await this.deadLetter({ topic, partition, message }, error);
      return undefined;
    }
  }

  /** Delivers, retrying what can be retried; returns the error that ends the attempts, if any. */
  private async deliverWithRetries(
    updates: readonly SuppressionUpdate[],
    idempotencyKey: string,
    heartbeat: () => Promise<void>,
  ): Promise<ProcessingError | undefined> {
    const sink = this.options.target.name;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.options.target.deliver(updates, idempotencyKey);
        return undefined;
      } catch (error) {
        const failure =
          error instanceof ProcessingError
            ? error
            : new VendorBusyError('VENDOR.FAILED', (error as Error).message);
        if (!failure.retriable || attempt >= this.options.maxAttempts) return failure;
        connectorMetrics.retries.inc({ sink, code: failure.code });
        const backoff =
          Math.min(SINK_RETRY.maxDelayMs, SINK_RETRY.firstDelayMs * 2 ** (attempt - 1)) *
          (0.8 + Math.random() * 0.4);
        const wait =
          failure instanceof VendorBusyError && failure.retryAfterMs !== undefined
            ? Math.max(failure.retryAfterMs, backoff / 4)
            : backoff;
        await this.sleepWithHeartbeats(Math.min(wait, 60_000), heartbeat);
      }
    }
  }

  private async sleepWithHeartbeats(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
      await heartbeat();
    }
  }

  private async deadLetter(
    { topic, partition, message }: Pick<Pending, 'topic' | 'partition' | 'message'>,
    error: ProcessingError,
  ): Promise<void> {
    const sink = this.options.target.name;
    await publishDeadLetters(
      this.options.deadLetterProducer,
      this.options.deadLetterTopic,
      this.options.consumerGroup,
      [{ message, sourceTopic: topic, partition, error }],
    );
    connectorMetrics.deadLetters.inc({ sink, code: error.code });
    this.logger.warn({
      topic,
      partition,
      offset: message.offset,
      code: error.code,
      msg: `dead-lettered: ${error.message}`,
    });
  }
}

interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly update: SuppressionUpdate;
}

/** One partition's batch of a fetch, waiting to be delivered with the others. */
interface GatheredBatch {
  readonly batch: Batch;
  readonly heartbeat: () => Promise<void>;
}

/**
 * The Idempotency-Key of a call: a lone update's cause event and purpose; for several, a hash of
 * theirs. The same for the same updates.
 */
function callKeyOf(items: readonly Pending[]): string {
  const members = items.map(({ update }) => `${update.causeEventId}:${update.purpose}`);
  return members.length === 1 ? members[0]! : `call:${sha256Hex(members.join(','))}`;
}

/** What is written before a call carrying several updates is sent (see openCalls). */
function callIntent(items: readonly Pending[], callKey: string): CallIntent<SuppressionUpdate> {
  return {
    callKey,
    spans: [...new Set(items.map(({ topic, partition }) => partitionSpan(topic, partition)))],
    updates: items.map(({ update }) => update),
  };
}
