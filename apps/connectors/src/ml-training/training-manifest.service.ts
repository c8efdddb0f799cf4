import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  APP_CONFIG,
  CONSENT_POLICY,
  loadDownstreamSystems,
  type AppConfig,
  type LoadedConsentPolicy,
} from '@consent-ledger/config';
import { decide } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';
import { AvroSerde, consentTopics, KAFKA_CLIENT, UsageLogPublisher } from '@consent-ledger/kafka';
import { ConsentReadModelRepository } from '@consent-ledger/persistence';
import type { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
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

export interface AffectedManifest {
  readonly manifestId: string;
  readonly jobId: string;
  readonly datasetId: string;
  readonly purpose: string;
  readonly issuedAt: string;
  /** Subjects of the manifest who withdrew (or whose consent expired) after it was issued. */
  readonly withdrawnSubjects: number;
}

/**
 * Consent-filtered training manifests: which of a dataset's subjects a training job may use for
 * a purpose, with the log position the answer reflects, recorded so that the run is reproducible
 * and a later withdrawal can be traced to the models trained on that person's data.
 */
@Injectable()
export class TrainingManifestService implements OnModuleInit, OnApplicationShutdown {
  private readonly readModel = new ConsentReadModelRepository();
  private readonly purposes: ReadonlySet<string>;
  private readonly logger = new Logger(TrainingManifestService.name);
  /** Each manifest's subjects go to the usage log (consent.decisions.v1) before it is issued. */
  private readonly usageLog: UsageLogPublisher;

  constructor(
    private readonly dataSource: DataSource,
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
        422,
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
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const subjectIds = [...new Set(request.subjectIds)];
      const allowed = await this.allowedSubjects(manager, request.purpose, subjectIds);
      const logPosition = await this.logPosition(manager);
      const manifestId = uuidv7();
      await manager.query(
        `INSERT INTO training_manifest (manifest_id, job_id, dataset_id, purpose, requested, allowed, log_position, policy_version, issued_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          manifestId,
          request.jobId,
          request.datasetId,
          request.purpose,
          subjectIds.length,
          allowed.length,
          JSON.stringify(logPosition),
          this.consentPolicy.policy.version,
          issuedBy,
        ],
      );
      await manager.query(
        `INSERT INTO training_manifest_subject (manifest_id, subject_id) SELECT $1, unnest($2::text[])`,
        [manifestId, allowed],
      );
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
        503,
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
    manager: EntityManager,
    purpose: string,
    subjectIds: readonly string[],
  ): Promise<string[]> {
    const rows: Array<{ subject_id: string; allowed: boolean }> = await manager.query(
      `SELECT subject_id, allowed FROM ml_training_exclusion WHERE purpose = $1 AND subject_id = ANY($2)`,
      [purpose, subjectIds],
    );
    const known = new Map(rows.map((row) => [row.subject_id, row.allowed]));
    const unknown = subjectIds.filter((subjectId) => !known.has(subjectId));
    const states = await this.readModel.loadStates(manager, unknown);
    const options = {
      taxonomy: this.consentPolicy.taxonomy,
      policy: this.consentPolicy.policy,
      at: new Date(),
    };
    for (const subjectId of unknown) {
      known.set(subjectId, decide(states.get(subjectId)!, purpose, options).allowed);
    }
    return subjectIds.filter((subjectId) => known.get(subjectId));
  }

  private async logPosition(manager: EntityManager): Promise<Record<string, string>> {
    const rows: Array<{ partition: number; next_offset: string }> = await manager.query(
      `SELECT partition, next_offset FROM projection_checkpoint WHERE projection = 'consent-read-model' ORDER BY partition`,
    );
    return Object.fromEntries(rows.map((row) => [String(row.partition), String(row.next_offset)]));
  }

  /** Manifests that included someone who later withdrew (or whose consent expired) for the purpose. */
  async affected(): Promise<AffectedManifest[]> {
    const rows: Array<{
      manifest_id: string;
      job_id: string;
      dataset_id: string;
      purpose: string;
      created_at: Date;
      withdrawn: number;
    }> = await this.dataSource.query(
      `SELECT m.manifest_id, m.job_id, m.dataset_id, m.purpose, m.created_at, count(DISTINCT s.subject_id)::int AS withdrawn
         FROM training_manifest m
         JOIN training_manifest_subject s ON s.manifest_id = m.manifest_id
         JOIN consent_event e ON e.subject_id = s.subject_id AND e.action IN ('WITHDRAW', 'EXPIRE')
          AND e.recorded_at > m.created_at AND (e.purpose = m.purpose OR m.purpose LIKE e.purpose || '.%')
        GROUP BY m.manifest_id ORDER BY m.created_at`,
    );
    return rows.map((row) => ({
      manifestId: row.manifest_id,
      jobId: row.job_id,
      datasetId: row.dataset_id,
      purpose: row.purpose,
      issuedAt: row.created_at.toISOString(),
      withdrawnSubjects: row.withdrawn,
    }));
  }
}
