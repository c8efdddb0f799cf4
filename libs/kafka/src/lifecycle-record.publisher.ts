import type { Kafka, Producer } from 'kafkajs';
import { ACKS_ALL, createDurableProducer } from './durable-producer';

/** What happened in the lifecycle of someone's consent, beside the choices themselves. */
export type LifecycleRecordType =
  | 'RECONSENT_CAMPAIGN_STARTED'
  | 'RECONSENT_REQUESTED'
  | 'RECONSENT_REMINDED'
  | 'RECONSENT_ANSWERED'
  | 'RECONSENT_LAPSED'
  | 'RECONSENT_CAMPAIGN_FINISHED'
  | 'RENEWAL_REMINDED'
  | 'CONSENT_LAPSED_TOLD';

/**
 * One record of the lifecycle topic (JSON). `recordId` is stable for the same fact (a message
 * sent again after a crash has the same id), so readers count each fact once.
 */
export interface LifecycleRecord {
  readonly recordId: string;
  readonly type: LifecycleRecordType;
  readonly occurredAt: string;
  readonly subjectId: string | null;
  readonly campaignId: string | null;
  readonly purposes: readonly string[];
  readonly details: Readonly<Record<string, unknown>>;
}

/** Writes lifecycle records (key: the subject, or the campaign); resolves once Kafka holds them. */
export class LifecycleRecordPublisher {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = createDurableProducer(kafka);
  }

  async publish(records: readonly LifecycleRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({
      topic: this.topic,
      acks: ACKS_ALL,
      messages: records.map((record) => ({
        key: record.subjectId ?? record.campaignId ?? record.recordId,
        value: JSON.stringify(record),
      })),
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
