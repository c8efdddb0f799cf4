import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  addressedThroughVault,
  APP_CONFIG,
  CONSENT_POLICY,
  loadDownstreamSystems,
} from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
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
   * KEY_HELD: the event is recorded, the identifiers are suppression entries, and the data key is
   * kept until the systems in `keyHeldFor`, which address the person by an identifier from the
   * vault, confirmed deleting them (at most until `keyHeldUntil`);
   * KEY_DESTROYED: the data key is destroyed, some downstream system has not confirmed;
   * COMPLETED: every downstream system confirmed deleting the subject.
   */
  readonly status: 'REQUESTED' | 'KEY_HELD' | 'KEY_DESTROYED' | 'COMPLETED';
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly eraseEventId: string | null;
  readonly keyDestroyedAt: string | null;
  /** While the key is held: the systems it is held for, and until when at most. */
  readonly keyHeldFor?: readonly string[];
  readonly keyHeldUntil?: string;
  /** Identifiers whose blind index stays as a suppression entry (on the first request only). */
  readonly identifiersShredded?: number;
  /** Whether the read model applied the ERASE (every purpose denied). */
  readonly projected: boolean;
  readonly downstream: ReadonlyArray<{ system: string; confirmedAt: string | null }>;
}

/**
 * Erasure by crypto-shredding. A request is opened once (a repeat resumes or answers it),
 * recorded on the log as an ERASE event through the write path (the same request rebuilt from
 * what was opened, so a retry after any failure is a duplicate, never a second event); the
 * identifiers' blind indexes become suppression entries, and the subject's data key and sealed
 * identifiers are destroyed. Downstream systems hear of it through their connectors, as of a
 * suppression; their confirmations make the erasure COMPLETED. A system that knows the person
 * only by an identifier from the vault (an email platform keyed by email) needs that identifier
 * to delete them: the key is then held until such systems confirmed, at most ERASURE_KEY_HOLD_HOURS,
 * and destroyed by {@link destroyKeyWhenDue} (the erasure sweep, or a repeated request).
 */
@Injectable()
export class SubjectErasureService {
  private readonly logger = new Logger(SubjectErasureService.name);
  /** The enabled downstream systems that address people through the vault. */
  private readonly keyHeldFor: readonly string[];

  constructor(
    @Inject(ERASURE_STORE) private readonly store: ErasureStore,
    @Inject(WRITE_PATH_STORE) private readonly writePath: WritePathStore,
    private readonly writer: ConsentEventWriter,
    private readonly vault: IdentityVaultService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(API_KEY_STORE) private readonly adminLog: ApiKeyStore,
    @Inject(CONSENT_POLICY) policy: LoadedConsentPolicy,
  ) {
    const systems = loadDownstreamSystems(config.connectors.downstreamSystemsFile, policy.taxonomy);
    this.keyHeldFor = config.connectors.enabled.filter((name) => {
      const system = systems.get(name);
      return system !== undefined && addressedThroughVault(system);
    });
  }

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
      // The identifiers are suppression entries from now on, even while the key is held.
      await this.vault.suppress(subjectId);
      shredded = await this.destroyKeyWhenDue(erasure);
    }
    return this.status(subjectId, shredded);
  }

  /**
   * Destroys the subject's data key (its identifiers' blind indexes kept as suppression
   * entries), unless a system that addresses the person through the vault has yet to confirm and the hold has not
   * run out. Returns how many identifiers were shredded, or undefined while the key is held.
   */
  async destroyKeyWhenDue(erasure: ErasureRecord): Promise<number | undefined> {
    const { subjectId } = erasure;
    const awaited = await this.unconfirmedHolders(subjectId);
    const holdEnds = erasure.requestedAt.getTime() + this.config.vault.erasureKeyHoldMs;
    if (awaited.length > 0 && Date.now() < holdEnds) return undefined;
    const shredded = await this.vault.shred(subjectId);
    // A request and the sweep may destroy the same key at once: the one that notes it, records it.
    if (!(await this.store.keyDestroyed(subjectId))) return shredded;
    await this.adminLog.audit({
      actor: erasure.requestedBy,
      action: 'subject.erase',
      target: subjectId,
      details: {
        identifiersShredded: shredded,
        ...(awaited.length > 0 ? { destroyedBeforeConfirmationOf: awaited } : {}),
      },
    });
    if (awaited.length > 0)
      this.logger.warn({
        msg: 'erasure hold ran out: data key destroyed before these systems confirmed; they cannot be told by identifier any more',
        subjectId,
        systems: awaited,
      });
    this.logger.log({ msg: 'subject erased', subjectId, identifiersShredded: shredded });
    return shredded;
  }

  /** The systems the key is held for that have not confirmed deleting the subject. */
  private async unconfirmedHolders(subjectId: string): Promise<string[]> {
    if (this.keyHeldFor.length === 0) return [];
    const confirmed = new Set((await this.store.confirmations(subjectId)).map((c) => c.system));
    return this.keyHeldFor.filter((system) => !confirmed.has(system));
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
    const status = stageOf(erasure, downstream);
    const held = status === 'KEY_HELD' && {
      keyHeldFor: this.keyHeldFor.filter((system) => !confirmedAt.has(system)),
      keyHeldUntil: new Date(
        erasure.requestedAt.getTime() + this.config.vault.erasureKeyHoldMs,
      ).toISOString(),
    };
    return {
      subjectId,
      status,
      requestedAt: erasure.requestedAt.toISOString(),
      requestedBy: erasure.requestedBy,
      eraseEventId: erasure.eventId,
      keyDestroyedAt: erasure.keyDestroyedAt?.toISOString() ?? null,
      ...(held || {}),
      ...(identifiersShredded === undefined ? {} : { identifiersShredded }),
      projected,
      downstream,
    };
  }
}

/** Where an erasure stands, from what is recorded and which systems confirmed. */
function stageOf(
  erasure: ErasureRecord,
  downstream: ReadonlyArray<{ readonly confirmedAt: string | null }>,
): ErasureStatus['status'] {
  if (erasure.eventId === null) return 'REQUESTED';
  if (erasure.keyDestroyedAt === null) return 'KEY_HELD';
  return downstream.every((system) => system.confirmedAt !== null) ? 'COMPLETED' : 'KEY_DESTROYED';
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
