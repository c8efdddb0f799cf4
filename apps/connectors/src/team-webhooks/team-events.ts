import type { TeamEventType, TeamWebhookSubscription, TeamWebhooks } from '@consent-ledger/config';
import type { DeadLetterSummary, LifecycleRecord } from '@consent-ledger/kafka';

/**
 * Something an internal team hears of. `id` is the same whenever the same fact is seen again (a
 * topic read twice after a crash, a poll over the same rows), so it is written down once.
 */
export interface TeamEvent {
  readonly id: string;
  readonly type: TeamEventType;
  readonly occurredAt: string;
  /** One line a person reads (Slack shows it as the message). */
  readonly summary: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A notification: an event for one subscription. */
export interface TeamNotificationOf {
  readonly notificationId: string;
  readonly subscription: string;
  readonly eventType: TeamEventType;
  readonly event: TeamEvent;
}

/** The notifications of `events` for the subscriptions that asked for their type. */
export function notificationsFor(
  events: readonly TeamEvent[],
  subscriptions: readonly TeamWebhookSubscription[],
): TeamNotificationOf[] {
  return events.flatMap((event) =>
    subscriptions
      .filter((subscription) => subscription.events.includes(event.type))
      .map((subscription) => ({
        notificationId: `${subscription.name}:${event.id}`,
        subscription: subscription.name,
        eventType: event.type,
        event,
      })),
  );
}

/** The body sent: our JSON (with the notification id), or a Slack-compatible message. */
export function webhookBody(
  notificationId: string,
  event: TeamEvent,
  format: TeamWebhookSubscription['format'],
): string {
  if (format === 'slack')
    return JSON.stringify({
      text: `Consent Ledger · ${event.summary}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*Consent Ledger* · ${event.summary}` } },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `${event.type} · ${event.occurredAt}` }],
        },
      ],
    });
  return JSON.stringify({ notificationId, ...event });
}

export function deadLetterEvent(letter: DeadLetterSummary): TeamEvent {
  const consumer = letter.consumerGroup ?? 'a consumer';
  return {
    id: `dead-letter:${letter.topic}:${letter.partition}:${letter.offset}`,
    type: 'dead-letter',
    occurredAt: letter.failedAt ?? new Date().toISOString(),
    summary: `${consumer} dead-lettered a record of ${letter.sourceTopic ?? 'a topic'}: ${letter.code}`,
    details: { ...letter },
  };
}

export function campaignFinishedEvent(record: LifecycleRecord): TeamEvent | undefined {
  if (record.type !== 'RECONSENT_CAMPAIGN_FINISHED' || !record.campaignId) return undefined;
  const { answered, lapsed } = record.details as { answered?: number; lapsed?: number };
  return {
    id: `reconsent-campaign-finished:${record.campaignId}`,
    type: 'reconsent-campaign-finished',
    occurredAt: record.occurredAt,
    summary: `Re-consent campaign ${record.campaignId} finished: ${answered ?? 0} answered, ${lapsed ?? 0} lapsed`,
    details: { campaignId: record.campaignId, ...record.details },
  };
}

/**
 * Raises a withdrawal spike when a purpose's withdrawals within the window exceed the threshold,
 * once per window (the next can come when a whole window has passed since). Pure: times are given.
 */
export class WithdrawalSpikes {
  /** Per purpose, the withdrawals' times in arrival order, those before `head` out of the window. */
  private readonly recent = new Map<string, { times: number[]; head: number }>();
  private readonly raisedAt = new Map<string, number>();

  constructor(private readonly rule: TeamWebhooks['withdrawalSpike']) {}

  /**
   * One withdrawal of `purpose` at `at`. Called for every withdrawal the suppression topics carry
   * (thousands a second at peak), so the window moves by dropping from its front, never by
   * copying it: records arrive in about time order.
   */
  record(purpose: string, at: number): TeamEvent | undefined {
    const windowMs = this.rule.withinSeconds * 1000;
    const window = this.recent.get(purpose) ?? { times: [], head: 0 };
    this.recent.set(purpose, window);
    while (window.head < window.times.length && window.times[window.head]! <= at - windowMs)
      window.head += 1;
    if (window.head > 1_024 && window.head * 2 > window.times.length) {
      window.times = window.times.slice(window.head);
      window.head = 0;
    }
    window.times.push(at);
    const withdrawals = window.times.length - window.head;
    const last = this.raisedAt.get(purpose);
    if (withdrawals <= this.rule.withdrawals || (last !== undefined && at - last < windowMs))
      return undefined;
    this.raisedAt.set(purpose, at);
    const windowStart = Math.floor(at / windowMs) * windowMs;
    return {
      id: `withdrawal-spike:${purpose}:${windowStart}`,
      type: 'withdrawal-spike',
      occurredAt: new Date(at).toISOString(),
      summary: `${withdrawals} withdrawals of ${purpose} within ${this.rule.withinSeconds} s (threshold ${this.rule.withdrawals})`,
      details: {
        purpose,
        withdrawals,
        threshold: this.rule.withdrawals,
        withinSeconds: this.rule.withinSeconds,
      },
    };
  }
}
