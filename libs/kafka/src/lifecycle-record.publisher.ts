import type { Kafka } from 'kafkajs';
import { DurableSender } from './durable-producer';

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
  private readonly sender: DurableSender;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.sender = new DurableSender(kafka);
  }

  async publish(records: readonly LifecycleRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.sender.send(
      this.topic,
      records.map((record) => ({
        key: record.subjectId ?? record.campaignId ?? record.recordId,
        value: JSON.stringify(record),
      })),
    );
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}
