import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { EVERY_PURPOSE } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';
import { API_KEY_STORE, ERASURE_STORE, WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type {
  ApiKeyStore,
  ErasureRecord,
  ErasureStore,
  WritePathStore,
} from '@consent-ledger/persistence';
import { ConsentEventWriter } from '../record-consent/consent-event.writer';
import type { RecordableEvent } from '../record-consent/record-consent.request';
import { IdentityVaultService } from '../subject-identifiers/identity-vault.service';

/** Where an erasure stands, as the API answers it. */
export interface ErasureStatus {
  readonly subjectId: string;
  /**
   * REQUESTED: the ERASE event is not recorded yet (a retry of the request resumes it);
   * KEY_DESTROYED: the event is recorded and the data key destroyed, some downstream system has
   * not confirmed; COMPLETED: every downstream system confirmed deleting the subject.
   */
  readonly status: 'REQUESTED' | 'KEY_DESTROYED' | 'COMPLETED';
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly eraseEventId: string | null;
  readonly keyDestroyedAt: string | null;
  /** Identifiers whose blind index stays as a suppression entry (on the first request only). */
  readonly identifiersShredded?: number;
  /** Whether the read model applied the ERASE (every purpose denied). */
  readonly projected: boolean;
  readonly downstream: ReadonlyArray<{ system: string; confirmedAt: string | null }>;
}

/**
 * Erasure by crypto-shredding. A request is opened once (a repeat resumes or answers it),
 * recorded on the log as an ERASE event through the write path (the same request rebuilt from
 * what was opened, so a retry after any failure is a duplicate, never a second event), and then
 * the subject's data key and sealed identifiers are destroyed, their blind indexes kept as
 * suppression entries. Downstream systems hear of it through their connectors, as of a
 * suppression; their confirmations make the erasure COMPLETED.
 */
@Injectable()
export class SubjectErasureService {
  private readonly logger = new Logger(SubjectErasureService.name);

  constructor(
    @Inject(ERASURE_STORE) private readonly store: ErasureStore,
    @Inject(WRITE_PATH_STORE) private readonly writePath: WritePathStore,
    private readonly writer: ConsentEventWriter,
    private readonly vault: IdentityVaultService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(API_KEY_STORE) private readonly adminLog: ApiKeyStore,
  ) {}

  async erase(subjectId: string, requestedBy: string): Promise<ErasureStatus> {
    let erasure = await this.store.find(subjectId);
    erasure ??= await this.store.open({
      subjectId,
      requestedBy,
      jurisdiction: (await this.writePath.subjectState(subjectId)).jurisdiction ?? 'ZZ',
    });
    if (erasure.eventId === null) {
      const [recorded] = await this.writer.accept([eraseEventOf(erasure)], () => '', {
        kind: 'system',
        component: 'erasure',
      });
      await this.store.eventRecorded(subjectId, recorded!.eventId);
    }
    let shredded: number | undefined;
    if (erasure.keyDestroyedAt === null) {
      shredded = await this.vault.shred(subjectId);
      await this.store.keyDestroyed(subjectId);
      await this.adminLog.audit({
        actor: erasure.requestedBy,
        action: 'subject.erase',
        target: subjectId,
        details: { identifiersShredded: shredded },
      });
      this.logger.log({ msg: 'subject erased', subjectId, identifiersShredded: shredded });
    }
    return this.status(subjectId, shredded);
  }

  async status(subjectId: string, identifiersShredded?: number): Promise<ErasureStatus> {
    const erasure = await this.store.find(subjectId);
    if (!erasure)
      throw new AppError(
        'ERASURE.NOT_FOUND',
        'No erasure',
        `No erasure was requested for subject '${subjectId}'.`,
      );
    const [projected, confirmations] = await Promise.all([
      this.store.projected(subjectId),
      this.store.confirmations(subjectId),
    ]);
    const confirmedAt = new Map(confirmations.map((c) => [c.system, c.confirmedAt]));
    const downstream = this.config.connectors.enabled.map((system) => ({
      system,
      confirmedAt: confirmedAt.get(system)?.toISOString() ?? null,
    }));
    const status =
      erasure.eventId === null || erasure.keyDestroyedAt === null
        ? 'REQUESTED'
        : downstream.every((system) => system.confirmedAt !== null)
          ? 'COMPLETED'
          : 'KEY_DESTROYED';
    return {
      subjectId,
      status,
      requestedAt: erasure.requestedAt.toISOString(),
      requestedBy: erasure.requestedBy,
      eraseEventId: erasure.eventId,
      keyDestroyedAt: erasure.keyDestroyedAt?.toISOString() ?? null,
      ...(identifiersShredded === undefined ? {} : { identifiersShredded }),
      projected,
      downstream,
    };
  }
}

/** The ERASE event of an opened request: the same request each time it is rebuilt. */
function eraseEventOf(erasure: ErasureRecord): RecordableEvent {
  return {
    subjectId: erasure.subjectId,
    purpose: EVERY_PURPOSE,
    action: 'ERASE',
    jurisdiction: erasure.jurisdiction,
    legalBasis: 'LEGAL_OBLIGATION',
    channel: 'API',
    method: 'SYSTEM',
    notice: null,
    occurredAt: erasure.requestedAt.toISOString(),
    expiresAt: null,
    actor: { type: 'SYSTEM', id: 'erasure' },
    evidence: {
      ipAddressHash: null,
      userAgent: null,
      reference: `erasure requested by ${erasure.requestedBy}`,
    },
    ageBand: null,
    idempotencyKey: `erase:${erasure.subjectId}`,
  };
}
