import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, CONSENT_POLICY, loadDownstreamSystems } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import { decide } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';
import { AvroSerde, consentTopics, KAFKA_CLIENT, UsageLogPublisher } from '@consent-ledger/kafka';
import { TRAINING_MANIFEST_STORE } from '@consent-ledger/persistence';
import type {
  AffectedManifest,
  ManifestTransaction,
  TrainingManifestStore,
} from '@consent-ledger/persistence';
import type { Kafka } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

export interface ManifestRequest {
  readonly jobId: string;
  readonly datasetId: string;
  readonly purpose: string;
  readonly subjectIds: readonly string[];
}

export interface TrainingManifest {
  readonly manifestId: string;
  readonly jobId: string;
  readonly datasetId: string;
  readonly purpose: string;
  readonly requested: number;
  readonly excluded: number;
  /** The subjects whose data the job may use. */
  readonly allowed: string[];
  /** Where in consent.events.v1 (next offset per partition) the answer reflects. */
  readonly logPosition: Record<string, string>;
  readonly policyVersion: string;
  readonly asOf: string;
}

export type { AffectedManifest };

/**
 * Consent-filtered training manifests: which of a dataset's subjects a training job may use for
 * a purpose, with the log position the answer reflects, recorded so that the run is reproducible
 * and a later withdrawal can be traced to the models trained on that person's data.
 */
@Injectable()
export class TrainingManifestService implements OnModuleInit, OnApplicationShutdown {
  private readonly purposes: ReadonlySet<string>;
  private readonly logger = new Logger(TrainingManifestService.name);
  /** Each manifest's subjects go to the usage log (consent.decisions.v1) before it is issued. */
  private readonly usageLog: UsageLogPublisher;

  constructor(
    @Inject(TRAINING_MANIFEST_STORE) private readonly store: TrainingManifestStore,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    serde: AvroSerde,
  ) {
    const systems = loadDownstreamSystems(
      config.connectors.downstreamSystemsFile,
      consentPolicy.taxonomy,
    );
    this.purposes = new Set(systems.get('ml-training')?.purposes ?? []);
    this.usageLog = new UsageLogPublisher({
      kafka,
      serde,
      topic: consentTopics(config.kafka.topicPrefix).usage,
      deadLetterTopic: consentTopics(config.kafka.topicPrefix).deadLetter,
      maxPending: 1_000_000,
      flushIntervalMs: 5,
      onError: (error, pending) =>
        this.logger.error({ err: error, pending, msg: 'usage log write failed; retrying' }),
      onRefused: (record, error) =>
        this.logger.error({
          usageId: record.usageId,
          code: error.code,
          msg: `usage record dead-lettered: ${error.message}`,
        }),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.usageLog.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.usageLog.stop();
  }

  issue(request: ManifestRequest, issuedBy: string): Promise<TrainingManifest> {
    if (!this.purposes.has(request.purpose)) {
      throw new AppError(
        'ML.PURPOSE_NOT_SERVED',
        'Purpose not served',
        `ml-training serves ${[...this.purposes].join(', ')}, not '${request.purpose}'`,
        [
          {
            field: 'purpose',
            code: 'ML.PURPOSE_NOT_SERVED',
            message: 'not a purpose of ml-training in downstream-systems.yaml',
          },
        ],
      );
    }
    return this.store.inSnapshot(async (transaction) => {
      const subjectIds = [...new Set(request.subjectIds)];
      const allowed = await this.allowedSubjects(transaction, request.purpose, subjectIds);
      const logPosition = await transaction.logPosition();
      const manifestId = uuidv7();
      await transaction.record({
        manifestId,
        jobId: request.jobId,
        datasetId: request.datasetId,
        purpose: request.purpose,
        requested: subjectIds.length,
        allowed,
        logPosition,
        policyVersion: this.consentPolicy.policy.version,
        issuedBy,
      });
      await this.recordUsage(
        manifestId,
        request,
        subjectIds,
        new Set(allowed),
        logPosition,
        issuedBy,
      );
      return {
        manifestId,
        jobId: request.jobId,
        datasetId: request.datasetId,
        purpose: request.purpose,
        requested: subjectIds.length,
        excluded: subjectIds.length - allowed.length,
        allowed,
        logPosition,
        policyVersion: this.consentPolicy.policy.version,
        asOf: new Date().toISOString(),
      };
    });
  }

  /**
   * Writes every requested subject to the usage log (in the manifest or excluded) and waits for
   * Kafka before the manifest commits: a manifest is never issued unrecorded. If the write times
   * out the manifest is refused (503); the records still queued may land later, so the usage log
   * can name a manifest that was refused, never miss one that was issued.
   */
  private async recordUsage(
    manifestId: string,
    request: ManifestRequest,
    subjectIds: readonly string[],
    allowed: ReadonlySet<string>,
    logPosition: Record<string, string>,
    askedBy: string,
  ): Promise<void> {
    const position = JSON.stringify(logPosition);
    this.usageLog.record(
      subjectIds.map((subjectId) => ({
        kind: 'MANIFEST' as const,
        subjectId,
        purpose: request.purpose,
        askedBy,
        campaignId: null,
        jobId: request.jobId,
        manifestId,
        allowed: allowed.has(subjectId),
        reason: allowed.has(subjectId) ? 'IN_MANIFEST' : 'EXCLUDED',
        decidingEventId: null,
        policyVersion: this.consentPolicy.policy.version,
        regime: null,
        jurisdiction: null,
        logPosition: position,
      })),
    );
    const unwritten = await this.usageLog.flush(10_000);
    if (unwritten > 0) {
      throw new AppError(
        'USAGE_LOG.UNAVAILABLE',
        'Usage log unavailable',
        `the manifest's subjects could not be written to the usage log (${unwritten} records waiting); try again`,
      );
    }
  }

  /**
   * The exclusion table answers for subjects whose decision changed; the others have made no
   * choice that reached it, and the read model's fold gives their regime's default.
   */
  private async allowedSubjects(
    transaction: ManifestTransaction,
    purpose: string,
    subjectIds: readonly string[],
  ): Promise<string[]> {
    const at = new Date();
    const known = await transaction.exclusions(purpose, subjectIds, at);
    const unknown = subjectIds.filter((subjectId) => !known.has(subjectId));
    const states = await transaction.states(unknown);
    const options = {
      taxonomy: this.consentPolicy.taxonomy,
      policy: this.consentPolicy.policy,
      at,
    };
    for (const subjectId of unknown) {
      known.set(subjectId, decide(states.get(subjectId)!, purpose, options).allowed);
    }
    return subjectIds.filter((subjectId) => known.get(subjectId));
  }

  /** Manifests that included someone who later withdrew (or whose consent expired) for the purpose. */
  affected(): Promise<AffectedManifest[]> {
    return this.store.affected();
  }
}
