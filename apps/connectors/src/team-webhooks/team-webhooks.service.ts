import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  APP_CONFIG,
  CONSENT_POLICY,
  loadDownstreamSystems,
  loadTeamWebhooks,
} from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy, TeamWebhooks } from '@consent-ledger/config';
import {
  AvroSerde,
  consentTopics,
  KAFKA_CLIENT,
  TeamSignalFollower,
  WebhookDeadLetters,
} from '@consent-ledger/kafka';
import type { TeamSignal } from '@consent-ledger/kafka';
import { OperationsQueries, TeamNotificationStore } from '@consent-ledger/persistence';
import { PeriodicSweep } from '@consent-ledger/observability';
import { TeamSignalsPoll } from './team-signals.poll';
import {
  campaignFinishedEvent,
  deadLetterEvent,
  notificationsFor,
  WithdrawalSpikes,
} from './team-events';
import type { TeamEvent } from './team-events';
import { WebhookDeliverer } from './webhook-deliverer';

/** Signals older than this when first read are history, not news: the dashboard shows them. */
const NEWS_WITHIN_MS = 24 * 3_600_000;

/**
 * Internal teams told: follows the topics and the database for what teams subscribe to
 * (team-webhooks.yaml), writes each notification down once per subscription, and sends them as
 * signed webhooks with retries. Off when nobody subscribes.
 */
@Injectable()
export class TeamWebhooksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TeamWebhooksService.name);
  private readonly webhooks: TeamWebhooks;
  private readonly deadLetters: WebhookDeadLetters;
  private readonly follower: TeamSignalFollower;
  private readonly poll: TeamSignalsPoll;
  private readonly deliverer: WebhookDeliverer;
  private readonly spikes: WithdrawalSpikes;
  private readonly sweeps: Array<[PeriodicSweep, number]>;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: ConstructorParameters<typeof WebhookDeadLetters>[0],
    serde: AvroSerde,
    private readonly store: TeamNotificationStore,
    operations: OperationsQueries,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CONSENT_POLICY) policy: LoadedConsentPolicy,
  ) {
    const settings = config.connectors.teamWebhooks;
    this.webhooks = loadTeamWebhooks(settings.file);
    const topics = consentTopics(config.kafka.topicPrefix);
    this.deadLetters = new WebhookDeadLetters(kafka, topics.webhookDeadLetter);
    this.spikes = new WithdrawalSpikes(this.webhooks.withdrawalSpike);
    this.follower = this.followerOf(kafka, serde, config, policy);
    const systems = loadDownstreamSystems(config.connectors.downstreamSystemsFile, policy.taxonomy);
    this.poll = new TeamSignalsPoll(store, operations, [...systems.values()], Date.now());
    this.deliverer = new WebhookDeliverer(
      store,
      this.deadLetters,
      this.webhooks.subscriptions,
      settings,
    );
    this.sweeps = this.sweepsOf(settings);
  }

  /** Looking at the database, and sending what is due (at least every second). */
  private sweepsOf(
    settings: AppConfig['connectors']['teamWebhooks'],
  ): Array<[PeriodicSweep, number]> {
    const sweep = (task: () => Promise<number>, failure: string) =>
      new PeriodicSweep(this.logger, task, failure);
    return [
      [
        sweep(() => this.pollOnce(), 'team signals not read; trying again'),
        settings.pollIntervalMs,
      ],
      [
        sweep(() => this.deliverer.deliverDue(), 'team notifications not sent; trying again'),
        Math.min(1_000, settings.retryBaseMs),
      ],
    ];
  }

  private followerOf(
    kafka: ConstructorParameters<typeof WebhookDeadLetters>[0],
    serde: AvroSerde,
    config: AppConfig,
    policy: LoadedConsentPolicy,
  ): TeamSignalFollower {
    const topics = consentTopics(config.kafka.topicPrefix);
    // Only the topics of what somebody subscribed to: the suppression topics are busy.
    const wanted = new Set(this.webhooks.subscriptions.flatMap(({ events }) => events));
    const consentPurposes = wanted.has('withdrawal-spike')
      ? [...policy.taxonomy.purposes.values()].filter((purpose) => purpose.basis === 'consent')
      : [];
    return new TeamSignalFollower({
      kafka,
      serde,
      groupId: `${config.kafka.topicPrefix}team-webhooks`,
      topics: {
        deadLetters: wanted.has('dead-letter') ? [topics.deadLetter, topics.sinkDeadLetter] : [],
        lifecycle: wanted.has('reconsent-campaign-finished') ? topics.lifecycle : undefined,
        suppression: new Map(consentPurposes.map(({ id }) => [id, topics.suppression(id)])),
      },
      handle: (signals) => this.write(this.eventsOf(signals)),
      log: (msg, details) => this.logger.warn({ msg, ...details }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.webhooks.subscriptions.length === 0) {
      this.logger.log('no team webhooks are subscribed (team-webhooks.yaml)');
      return;
    }
    if (this.follower.follows) await this.follower.start();
    this.sweeps.forEach(([sweep, intervalMs]) => sweep.start(intervalMs));
    this.logger.log(`telling ${this.webhooks.subscriptions.length} team webhook(s)`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.sweeps.forEach(([sweep]) => sweep.stop());
    await this.follower.stop();
    await this.deadLetters.close();
  }

  private eventsOf(signals: readonly TeamSignal[]): TeamEvent[] {
    const now = Date.now();
    const events: Array<TeamEvent | undefined> = signals.map((signal) => {
      if (signal.kind === 'dead-letter') return deadLetterEvent(signal.letter);
      if (signal.kind === 'lifecycle') return campaignFinishedEvent(signal.record);
      return signal.allowed ? undefined : this.spikes.record(signal.purpose, signal.at.getTime());
    });
    return events.filter(
      (event): event is TeamEvent =>
        event !== undefined && now - Date.parse(event.occurredAt) < NEWS_WITHIN_MS,
    );
  }

  private async pollOnce(): Promise<number> {
    const events = await this.poll.events(Date.now());
    await this.write(events);
    return events.length;
  }

  private async write(events: readonly TeamEvent[]): Promise<void> {
    const notifications = notificationsFor(events, this.webhooks.subscriptions);
    await this.store.add(
      notifications.map(({ notificationId, subscription, eventType, event }) => ({
        notificationId,
        subscription,
        eventType,
        event: { ...event },
      })),
    );
  }
}
