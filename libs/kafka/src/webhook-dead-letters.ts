import type { Kafka } from 'kafkajs';
import { deadLetterHeaders } from './dead-letter.publisher';
import { DurableSender } from './durable-producer';

/** A notification a team's webhook never took. */
export interface UndeliveredNotification {
  readonly notificationId: string;
  readonly subscription: string;
  readonly event: Readonly<Record<string, unknown>>;
  readonly attempts: number;
}

/**
 * Puts team notifications whose attempts ran out on the webhooks' dead-letter topic: the event as
 * JSON, the subscription, the attempts and the last error in headers. Resolves once Kafka holds it.
 */
export class WebhookDeadLetters {
  private readonly sender: DurableSender;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.sender = new DurableSender(kafka);
  }

  async publish(notification: UndeliveredNotification, reason: string): Promise<void> {
    await this.sender.send(this.topic, [
      {
        key: notification.notificationId,
        value: JSON.stringify(notification.event),
        headers: {
          [deadLetterHeaders.code]: 'WEBHOOK.UNDELIVERED',
          [deadLetterHeaders.reason]: reason.slice(0, 1_000),
          [deadLetterHeaders.consumerGroup]: `webhook:${notification.subscription}`,
          [deadLetterHeaders.failedAt]: new Date().toISOString(),
          'webhook.subscription': notification.subscription,
          'webhook.attempts': String(notification.attempts),
        },
      },
    ]);
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}
