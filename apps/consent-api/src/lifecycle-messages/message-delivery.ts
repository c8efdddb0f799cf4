import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { AppError } from '@consent-ledger/http';
import type { LatestChoice, LifecycleMessage, LifecycleStore } from '@consent-ledger/persistence';
import type { PreferenceLinksService } from '../preference-links/preference-links.service';
import type { EmailPlatformMessagesClient } from './email-platform-messages.client';
import { MessageRefused } from './email-platform-messages.client';
import { SendRate } from './send-rate';

/** Calls to the email platform in flight at once. */
const IN_FLIGHT = 16;
/** The longest wait between two attempts of one message. */
const MAX_BACKOFF_MS = 300_000;
/** A link in a message stays valid at least this long. */
const MIN_LINK_TTL_HOURS = 24 * 7;

/**
 * Sends messages through the email platform at the configured rate, each with a signed link into
 * the preference centre: a failed send is tried again later with exponential backoff; one the
 * platform refuses for good, or for a person erased meanwhile, is dropped with the reason.
 */
export class MessageDelivery {
  private readonly logger = new Logger(MessageDelivery.name);
  private readonly rate: SendRate;

  constructor(
    private readonly store: LifecycleStore,
    private readonly links: PreferenceLinksService,
    private readonly client: EmailPlatformMessagesClient,
    sendsPerSecond: number,
  ) {
    this.rate = new SendRate(sendsPerSecond, Date.now());
  }

  /** Sends what it can; resolves with the messages the platform took. */
  async deliver(
    messages: readonly LifecycleMessage[],
    choices: ReadonlyMap<string, LatestChoice>,
  ): Promise<LifecycleMessage[]> {
    const delivered: LifecycleMessage[] = [];
    const inFlight = new Set<Promise<void>>();
    for (const message of messages) {
      const wait = this.rate.take(Date.now());
      if (wait > 0) await delay(wait);
      const sending = this.deliverOne(message, choices).then((ok) => {
        if (ok) delivered.push(message);
      });
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return delivered;
  }

  private async deliverOne(
    message: LifecycleMessage,
    choices: ReadonlyMap<string, LatestChoice>,
  ): Promise<boolean> {
    try {
      await this.client.send(message, this.properties(message, choices));
      return true;
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof MessageRefused || error instanceof AppError) {
        this.logger.warn({ msg: 'lifecycle message dropped', messageKind: message.kind, reason });
        await this.store.cancel([message.messageKey], `undeliverable: ${reason}`);
      } else {
        const backoff = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(message.attempts, 20));
        await this.store.failed(message.messageKey, reason, new Date(Date.now() + backoff));
      }
      return false;
    }
  }

  /** What the platform's template gets: the link, the purposes, the dates. */
  private properties(
    message: LifecycleMessage,
    choices: ReadonlyMap<string, LatestChoice>,
  ): Record<string, unknown> {
    const { details } = message;
    const until = details.graceEndsAt ?? details.expiresAt;
    const hoursLeft = until ? (Date.parse(until) - Date.now()) / 3_600_000 : 0;
    const jurisdiction = details.purposes
      .map((purpose) => choices.get(`${message.subjectId}|${purpose}`)?.jurisdiction)
      .find((found) => found !== undefined);
    // Erased people never get here: their latest choices are the ERASE, which checkMessage drops.
    const link = this.links.sign(message.subjectId, {
      jurisdiction,
      ttlHours: Math.max(MIN_LINK_TTL_HOURS, Math.ceil(hoursLeft)),
    });
    return {
      kind: message.kind,
      purposes: details.purposes,
      preference_link: link.url,
      ...(details.step === undefined ? {} : { reminder: details.step }),
      ...(details.notice
        ? { notice_id: details.notice.noticeId, notice_version: details.notice.version }
        : {}),
      ...(details.graceEndsAt ? { answer_by: details.graceEndsAt } : {}),
      ...(details.expiresAt ? { expires_at: details.expiresAt } : {}),
    };
  }
}
