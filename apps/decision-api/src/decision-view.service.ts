import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConsentView } from '@consent-ledger/client';
import type { ViewPosition } from '@consent-ledger/client';
import { APP_CONFIG, CONSENT_POLICY } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import {
  decideFromView,
  EVERY_PURPOSE,
  regimes,
  UnknownPurposeError,
} from '@consent-ledger/consent-domain';
import type { Regime, SubjectFacts, ViewDecision } from '@consent-ledger/consent-domain';
import { AvroSerde, consentTopics, KAFKA_CLIENT, latestSchemaText } from '@consent-ledger/kafka';
import type { ConsumerLiveness } from '@consent-ledger/kafka';
import { AppError } from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import type { Kafka } from 'kafkajs';
import { Gauge } from 'prom-client';

/** The view the gauges read when /metrics is scraped (one per process). */
let measuredView: ConsentView | undefined;
new Gauge({
  name: 'consent_decision_view_lag_records',
  help: 'Records of consent.state.v1 the decision view has not read yet',
  collect() {
    if (measuredView) this.set(measuredView.freshness().lagRecords);
  },
});
new Gauge({
  name: 'consent_decision_view_unreadable_records',
  help: 'Subject-purpose keys whose latest consent.state.v1 record could not be decoded (denied)',
  collect() {
    if (measuredView) this.set(measuredView.unreadableCount);
  },
});
new Gauge({
  name: 'consent_decision_view_subjects',
  help: 'Subjects the decision view holds decisions for',
  collect() {
    if (measuredView) this.set(measuredView.subjectCount);
  },
});

/** The jurisdiction a request names, and whether its caller may loosen an answer by it. */
export interface AskedJurisdiction {
  readonly jurisdiction?: string | undefined;
  readonly mayLoosen?: boolean;
}

/** What a caller's request asks about jurisdiction, by the scopes of its key. */
export function askedJurisdiction(
  jurisdiction: string | undefined,
  caller: Pick<Caller, 'scopes'>,
): AskedJurisdiction {
  return {
    jurisdiction,
    mayLoosen: caller.scopes.includes('decision:override-jurisdiction'),
  };
}

/** Where a batch of answers stands: the view's position and whether it was fresh enough. */
export interface DecisionSnapshot {
  readonly policyVersion: string;
  readonly logPosition: ViewPosition;
  /** `logPosition` as JSON, for usage records and headers (serialised once per position). */
  readonly logPositionText: string;
  readonly viewBehind: boolean;
  /** The moment the answers are for: a grant whose expiry has come by then is denied. */
  readonly at: Date;
}

/**
 * The decision API's in-memory view of consent.state.v1 (libs/client) and the fail-closed rule:
 * answers come from memory, and deny consent-based purposes when the view is behind the log.
 */
@Injectable()
export class DecisionViewService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DecisionViewService.name);
  private readonly view: ConsentView;
  /** The view's position (the same object until offsets move) and its JSON. */
  private positionText?: { readonly position: ViewPosition; readonly text: string };

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    serde: AvroSerde,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CONSENT_POLICY) readonly consentPolicy: LoadedConsentPolicy,
  ) {
    this.view = new ConsentView({
      kafka,
      serde,
      stateTopic: consentTopics(config.kafka.topicPrefix).state,
      readerSchema: latestSchemaText(config.schemaRegistry.schemasDir, 'consent-decision'),
      onUnreadable: (record) =>
        this.logger.error({
          msg: 'unreadable consent.state.v1 record skipped; its key is denied',
          ...record,
        }),
    });
    measuredView = this.view;
  }

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    await this.view.start(300_000);
    this.logger.log({
      msg: 'decision view caught up with consent.state.v1',
      subjects: this.view.subjectCount,
      ms: Date.now() - started,
      policyVersion: this.consentPolicy.policy.version,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.view.stop();
  }

  /** The view as a caller sees it now; take it once per request so a batch is consistent. */
  snapshot(): DecisionSnapshot {
    const freshness = this.view.freshness();
    const viewBehind =
      freshness.lagRecords > this.config.decisions.maxLagRecords ||
      freshness.msSinceWatermark > this.config.decisions.maxStalenessMs;
    const logPosition = this.view.position();
    if (this.positionText?.position !== logPosition)
      this.positionText = { position: logPosition, text: JSON.stringify(logPosition) };
    return {
      policyVersion: this.consentPolicy.policy.version,
      logPosition,
      logPositionText: this.positionText.text,
      viewBehind,
      at: new Date(),
    };
  }

  /** 422 (problem+json naming the field) for a purpose the taxonomy does not define. */
  assertKnownPurpose(purpose: string): void {
    if (this.consentPolicy.taxonomy.purposes.has(purpose)) return;
    const error = new UnknownPurposeError(purpose);
    throw new AppError(error.code, 'Unknown purpose', error.message, [
      { field: 'purpose', code: error.code, message: error.message },
    ]);
  }

  /** The decision for a purpose checked by {@link assertKnownPurpose}. */
  decide(
    subjectId: string,
    purpose: string,
    snapshot: DecisionSnapshot,
    asked: AskedJurisdiction = {},
  ): ViewDecision {
    return decideFromView(
      this.view.decision(subjectId, purpose),
      purpose,
      this.subjectFacts(subjectId),
      {
        taxonomy: this.consentPolicy.taxonomy,
        policy: this.consentPolicy.policy,
        // A key whose latest record could not be read is as unknown as a view that is behind.
        viewBehind: snapshot.viewBehind || this.view.isUnreadable(subjectId, purpose),
        at: snapshot.at,
        ...(asked.jurisdiction ? { jurisdiction: asked.jurisdiction } : {}),
        jurisdictionMayLoosen: asked.mayLoosen ?? false,
      },
    );
  }

  /** Subjects the view knows, in the order it first saw them (stable, so it can be paged). */
  subjectsFrom(index: number): { readonly ids: IterableIterator<string>; readonly total: number } {
    return { ids: this.view.subjectIdsFrom(index), total: this.view.subjectCount };
  }

  /** Calls back on each published change; returns the unsubscribe. */
  onChange(listener: (subjectId: string, purpose: string) => void): () => void {
    return this.view.onChange((record) => listener(record.subjectId, record.purpose));
  }

  /** The view's consumer, reported down also while the view is too far behind to answer. */
  liveness(): ConsumerLiveness {
    const consumer = this.view.liveness();
    return { ...consumer, running: consumer.running && !this.snapshot().viewBehind };
  }

  private subjectFacts(subjectId: string): SubjectFacts {
    // The regime of the most recently caused decision: the subject's current jurisdiction (a
    // move republishes every purpose whose answer changed, not the others).
    let regime: Regime | null = null;
    let latest = -Infinity;
    let minor = false;
    for (const record of this.view.decisionsOf(subjectId).values()) {
      const recordedAt = Number(record.causeRecordedAt);
      if (recordedAt >= latest && (regimes as readonly string[]).includes(record.regime)) {
        regime = record.regime as Regime;
        latest = recordedAt;
      }
      if (record.reason === 'MINOR_OPT_IN_REQUIRED') minor = true;
    }
    const erasure = this.view.decision(subjectId, EVERY_PURPOSE);
    return { regime, minor, erasedBy: erasure && !erasure.allowed ? erasure.causeEventId : null };
  }
}
