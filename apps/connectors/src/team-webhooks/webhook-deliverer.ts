import { Logger } from '@nestjs/common';
import { signWebhook, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER } from '@consent-ledger/client';
import type { TeamWebhookSettings, TeamWebhookSubscription } from '@consent-ledger/config';
import type { WebhookDeadLetters } from '@consent-ledger/kafka';
import type { TeamNotification, TeamNotificationStore } from '@consent-ledger/persistence';
import type { TeamEvent } from './team-events';
import { webhookBody } from './team-events';

/** Notifications claimed at a time. */
const CLAIM = 50;
/** How long a claim keeps other instances off a notification (a call times out in 10 s). */
const LEASE_MS = 30_000;
const CALL_TIMEOUT_MS = 10_000;
/** The longest wait between two attempts. */
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Sends team notifications to their subscriptions' webhooks, signed (see verifyWebhook in the
 * client library), the notification id in a header of its own so that a receiver applies a
 * notification once however often it arrives. A failed attempt (not 2xx, or no answer) is tried
 * again after an exponential backoff; when the attempts run out the notification goes to the
 * webhooks' dead-letter topic with the last error.
 */
export class WebhookDeliverer {
  private readonly logger = new Logger(WebhookDeliverer.name);
  private readonly subscriptions: ReadonlyMap<string, TeamWebhookSubscription>;

  constructor(
    private readonly store: TeamNotificationStore,
    private readonly deadLetters: WebhookDeadLetters,
    subscriptions: readonly TeamWebhookSubscription[],
    private readonly settings: Pick<TeamWebhookSettings, 'maxAttempts' | 'retryBaseMs'>,
  ) {
    this.subscriptions = new Map(
      subscriptions.map((subscription) => [subscription.name, subscription]),
    );
  }

  /** Sends every due notification; resolves with how many were taken. */
  async deliverDue(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const claimed = await this.store.claimDue(CLAIM, LEASE_MS);
      if (claimed.length === 0) return delivered;
      const outcomes = await Promise.all(claimed.map((notification) => this.deliver(notification)));
      delivered += outcomes.filter(Boolean).length;
    }
  }

  private async deliver(notification: TeamNotification): Promise<boolean> {
    const subscription = this.subscriptions.get(notification.subscription);
    const failure = subscription
      ? await this.call(subscription, notification)
      : `subscription '${notification.subscription}' is no longer configured`;
    if (failure === null) {
      await this.store.delivered(notification.notificationId);
      return true;
    }
    if (!subscription || notification.attempts >= this.settings.maxAttempts) {
      await this.deadLetters.publish(notification, failure);
      await this.store.dead(notification.notificationId, failure);
      this.logger.warn({
        msg: 'team notification dead-lettered',
        subscription: notification.subscription,
        attempts: notification.attempts,
        reason: failure,
      });
      return false;
    }
    const backoff = Math.min(
      MAX_BACKOFF_MS,
      this.settings.retryBaseMs * 2 ** Math.min(notification.attempts - 1, 30),
    );
    await this.store.retryAt(notification.notificationId, failure, new Date(Date.now() + backoff));
    return false;
  }

  /** One attempt; null when the receiver took it, else why not. */
  private async call(
    subscription: TeamWebhookSubscription,
    notification: TeamNotification,
  ): Promise<string | null> {
    const body = webhookBody(
      notification.notificationId,
      notification.event as unknown as TeamEvent,
      subscription.format,
    );
    try {
      const response = await fetch(subscription.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'consent-ledger-webhooks/1',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(
            subscription.secret,
            body,
            Math.floor(Date.now() / 1000),
          ),
          [WEBHOOK_ID_HEADER]: notification.notificationId,
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return (error as Error).message;
    }
  }
}
