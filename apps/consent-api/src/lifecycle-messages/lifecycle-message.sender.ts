import { Inject, Injectable, Logger } from '@nestjs/common';
import { TimedPass } from '@consent-ledger/observability';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, CONSENT_POLICY } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import { LIFECYCLE_STORE } from '@consent-ledger/persistence';
import type { LifecycleMessage, LifecycleStore } from '@consent-ledger/persistence';
import { ConsentEventWriter } from '../record-consent/consent-event.writer';
import { PreferenceLinksService } from '../preference-links/preference-links.service';
import { IdentityVaultService } from '../subject-identifiers/identity-vault.service';
import { EmailPlatformMessagesClient } from './email-platform-messages.client';
import { LifecycleRecords } from './lifecycle-records';
import { MessageDelivery } from './message-delivery';
import { checkMessage, choicesByKey } from './message-checks';
import { RenewalNoticesScan } from './renewal-notices.scan';

/** At most this many messages are claimed at a time, and no more than two seconds' worth. */
const MAX_CLAIM = 100;
/**
 * How long a claim keeps other instances off a message; then a crashed sender's claim lapses. A
 * claim is sent within two seconds and the vendor's timeout (10 s).
 */
const LEASE_MS = 30_000;
/** After a failed pass, the next one waits this long. */
const RETRY_MS = 1_000;

/**
 * Sends the lifecycle messages that are due (re-consent requests and reminders, renewal
 * reminders, lapse notices) through the email platform, at most LIFECYCLE_SENDS_PER_SECOND, and
 * queues the renewal notices of grants nearing their expiry. Before each message the person's
 * latest choices are read: an answer cancels what would ask again. Resumable: a message is sent
 * (the vendor dedups by its key), then recorded on the lifecycle topic, then marked sent; a crash
 * between repeats only what the vendor and the topic's readers take once. Every instance may run
 * it: claims are leased rows other instances skip.
 */
@Injectable()
export class LifecycleMessageSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LifecycleMessageSender.name);
  private readonly renewals: RenewalNoticesScan;
  private readonly delivery: MessageDelivery;
  private readonly claimSize: number;
  private readonly timing: TimedPass;

  constructor(
    @Inject(LIFECYCLE_STORE) private readonly store: LifecycleStore,
    private readonly records: LifecycleRecords,
    writer: ConsentEventWriter,
    vault: IdentityVaultService,
    links: PreferenceLinksService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CONSENT_POLICY) policy: LoadedConsentPolicy,
  ) {
    const lead = policy.lifecycle.renewalReminderLeadMs;
    this.renewals = new RenewalNoticesScan(store, policy.taxonomy, lead, Date.now());
    this.delivery = new MessageDelivery(
      store,
      links,
      EmailPlatformMessagesClient.configured(
        config,
        policy,
        async (subjectId) => (await vault.get(subjectId)).email,
      ),
      config.consentPolicy.lifecycle.sendsPerSecond,
    );
    this.claimSize = claimSizeFor(config.consentPolicy.lifecycle.sendsPerSecond);
    this.timing = new TimedPass(
      this.logger,
      () => this.pass(),
      async (now) => {
        const due = (await this.store.nextDue())?.getTime() ?? Number.POSITIVE_INFINITY;
        return Math.min(due, now + config.consentPolicy.lifecycle.scanIntervalMs);
      },
      'lifecycle messages not sent yet; trying again',
      RETRY_MS,
    );
    writer.onGrantExpiry((expiresAt) => {
      if (this.renewals.expect(expiresAt, Date.now())) this.timing.wakeAt(Date.now() + 250);
    });
  }

  onApplicationBootstrap(): void {
    this.timing.start();
  }

  onApplicationShutdown(): void {
    this.timing.stop();
  }

  /** Queues due renewal notices and sends every due message; resolves with how many went out. */
  sendDue(): Promise<number> {
    return this.timing.run();
  }

  /** Wakes the sender now (a campaign queued messages). */
  nudge(): void {
    this.timing.wakeAt(Date.now());
  }

  private async pass(): Promise<number> {
    await this.renewals.run(Date.now());
    let sent = 0;
    for (;;) {
      const claimed = await this.store.claimDue(this.claimSize, LEASE_MS);
      if (claimed.length === 0) break;
      sent += await this.sendClaimed(claimed);
    }
    if (sent > 0) this.logger.log({ msg: 'sent lifecycle messages', count: sent });
    return sent;
  }

  /** Cancels what an answer made needless, sends the rest; returns how many went out. */
  private async sendClaimed(claimed: readonly LifecycleMessage[]): Promise<number> {
    const now = new Date();
    const choices = choicesByKey(
      await this.store.latestChoices([...new Set(claimed.map(({ subjectId }) => subjectId))]),
    );
    const toSend: LifecycleMessage[] = [];
    const answered: LifecycleMessage[] = [];
    const needless = new Map<string, string[]>();
    for (const message of claimed) {
      const check = checkMessage(message, choices, now);
      if (check.send) toSend.push(message);
      else if (check.reason === 'answered') answered.push(message);
      else needless.set(check.reason, [...(needless.get(check.reason) ?? []), message.messageKey]);
    }
    for (const [reason, keys] of needless) await this.store.cancel(keys, reason);
    await this.records.answered(answered, choices);
    const delivered = await this.delivery.deliver(toSend, choices);
    await this.records.sent(delivered);
    await this.store.sent(delivered.map(({ messageKey }) => messageKey));
    return delivered.length;
  }
}

/** Two seconds' worth of messages, at least one and at most MAX_CLAIM. */
function claimSizeFor(sendsPerSecond: number): number {
  return Math.min(MAX_CLAIM, Math.max(1, Math.ceil(sendsPerSecond * 2)));
}
