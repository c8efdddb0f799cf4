import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ApiKey, ApiKeySource, AdmittedKey } from '@consent-ledger/config';
import type { Kafka, Producer } from 'kafkajs';
import { ACKS_ALL, createDurableProducer } from './durable-producer';
import { ResilientConsumer } from './resilient-consumer';
import type { ConsumerLiveness } from './resilient-consumer';
import { retryWhileSettling } from './transient-errors';

/**
 * A managed key as `consent.api-keys.v1` carries it (JSON, key = the key id; compacted): its
 * scopes and channels, the SHA-256 of each of its secrets with when that secret stops being
 * valid (a rotation leaves the old one valid for an overlap), and when it was revoked. Never a
 * secret: a digest of a random 256-bit secret tells nothing of it.
 */
export interface ManagedKeyRecord {
  readonly keyId: string;
  readonly role: string | null;
  readonly scopes: readonly string[];
  readonly channels: readonly string[] | null;
  readonly secrets: ReadonlyArray<{ readonly sha256: string; readonly expiresAt: string | null }>;
  readonly revokedAt: string | null;
  readonly updatedAt: string;
}

const digestHex = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * The keys every app admits: those seeded from `API_KEYS`, and the managed keys of
 * `consent.api-keys.v1`, followed from the start of the topic on a group of the instance's own,
 * so a key created, rotated or revoked on one app is admitted or refused on every app within the
 * time a record takes to arrive (well under a second on a healthy cluster), without a restart.
 * A managed key with the id of a seeded one replaces it.
 */
export class ApiKeyDirectory implements ApiKeySource {
  private readonly logger = new Logger(ApiKeyDirectory.name);
  private readonly seeded = new Map<string, { key: ApiKey; sha256: string }>();
  private readonly managed = new Map<string, ManagedKeyRecord>();
  /** Secret digest -> key id, for both kinds. */
  private readonly byDigest = new Map<string, string>();
  private consumer?: ResilientConsumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    seed: readonly ApiKey[],
  ) {
    for (const key of seed) {
      const sha256 = digestHex(key.secret);
      this.seeded.set(key.id, { key, sha256 });
      this.byDigest.set(sha256, key.id);
    }
  }

  /** Reads the topic to its end, then follows it. */
  async start(timeoutMs = 60_000): Promise<void> {
    const admin = this.kafka.admin();
    const ends = await retryWhileSettling(
      async () => {
        await admin.connect();
        return admin.fetchTopicOffsets(this.topic);
      },
      { what: `reading where ${this.topic} ends`, timeoutMs },
    ).finally(() => admin.disconnect());
    const positions = new Map<number, number>();
    this.consumer = new ResilientConsumer({
      kafka: this.kafka,
      config: { groupId: `api-keys-${randomUUID()}`, maxWaitTimeInMs: 250 },
      topics: [this.topic],
      run: {
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (message.value) this.apply(message.value.toString('utf8'));
            positions.set(batch.partition, Number(message.offset) + 1);
          }
        },
      },
      log: (msg, details) => this.logger.warn({ msg, ...details }),
    });
    await this.consumer.start();
    const deadline = Date.now() + timeoutMs;
    while (ends.some((end) => (positions.get(end.partition) ?? 0) < Number(end.high))) {
      if (Date.now() > deadline)
        throw new Error(`${this.topic} not read to its end within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  liveness(): ConsumerLiveness | undefined {
    return this.consumer?.liveness();
  }

  find(secretSha256: Buffer, now = new Date()): AdmittedKey | undefined {
    const digest = secretSha256.toString('hex');
    const keyId = this.byDigest.get(digest);
    if (keyId === undefined) return undefined;
    const managed = this.managed.get(keyId);
    if (managed) {
      if (managed.revokedAt !== null) return undefined;
      const secret = managed.secrets.find((candidate) => candidate.sha256 === digest);
      if (!secret) return undefined;
      if (secret.expiresAt !== null && Date.parse(secret.expiresAt) <= now.getTime())
        return undefined;
      return {
        id: managed.keyId,
        scopes: managed.scopes,
        ...(managed.channels ? { channels: managed.channels } : {}),
      };
    }
    const seeded = this.seeded.get(keyId);
    return seeded?.sha256 === digest
      ? {
          id: seeded.key.id,
          scopes: seeded.key.scopes,
          ...(seeded.key.channels ? { channels: seeded.key.channels } : {}),
        }
      : undefined;
  }

  /** Takes a record in (the latest for its key wins); a record that cannot be read is skipped. */
  private apply(text: string): void {
    let record: ManagedKeyRecord;
    try {
      record = JSON.parse(text) as ManagedKeyRecord;
      if (typeof record.keyId !== 'string' || !Array.isArray(record.secrets)) throw new Error();
    } catch {
      this.logger.warn({ msg: 'unreadable api key record skipped' });
      return;
    }
    const previous = this.managed.get(record.keyId);
    if (previous && previous.updatedAt > record.updatedAt) return;
    for (const secret of previous?.secrets ?? []) this.byDigest.delete(secret.sha256);
    this.managed.set(record.keyId, record);
    for (const secret of record.secrets) this.byDigest.set(secret.sha256, record.keyId);
  }
}

/**
 * Publishes managed keys to `consent.api-keys.v1` (acks from every in-sync replica), where every
 * app's {@link ApiKeyDirectory} takes them in. Connects on first use.
 */
export class ApiKeyPublisher {
  private producer?: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async publish(records: readonly ManagedKeyRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.producer) {
      const producer = createDurableProducer(this.kafka);
      await producer.connect();
      this.producer = producer;
    }
    await this.producer.send({
      topic: this.topic,
      acks: ACKS_ALL,
      messages: records.map((record) => ({ key: record.keyId, value: JSON.stringify(record) })),
    });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
  }
}
