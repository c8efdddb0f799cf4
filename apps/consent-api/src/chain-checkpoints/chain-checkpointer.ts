import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import {
  ACKS_ALL,
  checkpointMessages,
  consentTopics,
  createDurableProducer,
  KAFKA_CLIENT,
  signCheckpoint,
  type ChainCheckpoint,
  type ChainHeadLeaf,
} from '@consent-ledger/kafka';
import type { Kafka, Producer } from 'kafkajs';
import { DataSource, type QueryRunner } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PeriodicSweep } from '../periodic-sweep';
import { loadSigningKey } from './checkpoint-signing-key';

/** Leaves per message: a subject id of up to 256 characters and a hash stay under 1 MB. */
const LEAVES_PER_PART = 2_000;
/** How long a checkpoint waits for the writes in flight when it began to end. */
const IN_FLIGHT_DEADLINE_MS = 30_000;
/** One checkpointer at a time across API instances (a PostgreSQL advisory lock). */
const CHECKPOINT_LOCK = 1_795_001_100;

/**
 * Signs and publishes a checkpoint of every subject's chain head, as the API recorded them, to
 * the checkpoints topic (every CHAIN_CHECKPOINT_INTERVAL_MS, or when asked). The frontier is read
 * first; then the checkpoint waits until every transaction that had begun by then has ended, so
 * that every event below the frontier that the API wrote has its head in the table read after.
 * An event below the frontier that the heads do not account for was not written by the API.
 */
@Injectable()
export class ChainCheckpointer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChainCheckpointer.name);
  private readonly producer: Producer;
  private readonly topics: ReturnType<typeof consentTopics>;
  private readonly periodic = new PeriodicSweep(
    this.logger,
    async () => ((await this.checkpoint()) ? 1 : 0),
    'chain checkpoint failed; the next one retries',
  );
  private connected?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.producer = createDurableProducer(kafka);
    this.topics = consentTopics(config.kafka.topicPrefix);
  }

  onApplicationBootstrap(): void {
    const { intervalMs } = this.config.chainCheckpoints;
    if (intervalMs === 0) return;
    // Fails the boot when production has no key, rather than the first checkpoint an hour later.
    loadSigningKey(this.config.chainCheckpoints);
    this.periodic.start(intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.periodic.stop();
    if (this.connected) await this.producer.disconnect();
  }

  /**
   * Takes, signs and publishes a checkpoint; resolves once Kafka holds it. Undefined when another
   * instance is taking one at the same time.
   */
  async checkpoint(): Promise<ChainCheckpoint | undefined> {
    const key = loadSigningKey(this.config.chainCheckpoints);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        CHECKPOINT_LOCK,
      ]);
      if (!locked) return undefined;
      try {
        const frontier = await this.frontier();
        await this.waitForWritesInFlight(runner);
        const leaves = await this.heads(runner);
        const checkpoint = signCheckpoint(
          {
            checkpointId: uuidv7(),
            topic: this.topics.events,
            createdAt: new Date().toISOString(),
            frontier,
          },
          leaves,
          key,
        );
        await this.publish(checkpoint, leaves);
        await runner.query(
          `INSERT INTO chain_checkpoint (checkpoint_id, topic, created_at, subject_count, merkle_root, key_id)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            checkpoint.checkpointId,
            checkpoint.topic,
            checkpoint.createdAt,
            checkpoint.subjectCount,
            checkpoint.merkleRoot,
            checkpoint.keyId,
          ],
        );
        this.logger.log({
          msg: 'chain checkpoint published',
          checkpointId: checkpoint.checkpointId,
          subjects: checkpoint.subjectCount,
          merkleRoot: checkpoint.merkleRoot,
        });
        return checkpoint;
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [CHECKPOINT_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  /** Where each partition of the events topic ends now. */
  private async frontier(): Promise<Record<string, string>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topics.events);
      return Object.fromEntries(offsets.map(({ partition, high }) => [String(partition), high]));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until every transaction that had a transaction id when the frontier was read has
   * ended. A writer takes its id (locking the heads) before it sends, so every event Kafka held
   * by then came from one of those, and its head is committed (or its write failed) after this.
   */
  private async waitForWritesInFlight(runner: QueryRunner): Promise<void> {
    const [{ xmax }] = await runner.query(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax',
    );
    const deadline = Date.now() + IN_FLIGHT_DEADLINE_MS;
    for (;;) {
      const [{ ended }] = await runner.query(
        'SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS ended',
        [xmax],
      );
      if (ended) return;
      if (Date.now() > deadline)
        throw new Error(
          `transactions begun before the checkpoint were still open after ${IN_FLIGHT_DEADLINE_MS} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async heads(runner: QueryRunner): Promise<ChainHeadLeaf[]> {
    const rows: Array<{ subject_id: string; last_event_hash: string }> = await runner.query(
      'SELECT subject_id, last_event_hash FROM consent_write_head WHERE last_event_hash IS NOT NULL',
    );
    return rows.map((row) => ({ subjectId: row.subject_id, headHash: row.last_event_hash }));
  }

  private async publish(checkpoint: ChainCheckpoint, leaves: readonly ChainHeadLeaf[]) {
    this.connected ??= this.producer.connect();
    await this.connected;
    const messages = checkpointMessages(checkpoint, leaves, LEAVES_PER_PART);
    for (const message of messages) {
      await this.producer.send({
        topic: this.topics.checkpoints,
        acks: ACKS_ALL,
        messages: [{ key: checkpoint.checkpointId, value: JSON.stringify(message) }],
      });
    }
  }
}
