import { createHmac, hkdfSync, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@consent-ledger/http';
import { ONE_TIME_CODE_STORE, WRITE_PATH_STORE } from '@consent-ledger/persistence';
import type { OneTimeCodeStore, WritePathStore } from '@consent-ledger/persistence';
import { VAULT_KEYS } from '@consent-ledger/vault';
import type { VaultKeys } from '@consent-ledger/vault';
import { IdentityVaultService } from '../subject-identifiers/identity-vault.service';

/** How long a code works, how many a person gets in a window, how many tries each takes. */
export const ONE_TIME_CODE_RULES = {
  ttlMs: 10 * 60_000,
  maxCodesPerWindow: 3,
  windowMs: 15 * 60_000,
  maxAttempts: 5,
} as const;

/** A code issued for a person, to be sent to them (the only time the code is in clear). */
export interface IssuedOneTimeCode {
  readonly codeId: string;
  readonly code: string;
  readonly subjectId: string;
  readonly expiresAt: string;
}

/**
 * One-time codes for a person who arrives at the preference centre with nothing but their email
 * address: the address is looked up by blind index in the identity vault; a six-digit code is
 * kept only as a keyed hash, expires in ten minutes, is used once and takes five tries at most;
 * a person gets three codes per fifteen minutes. The centre sends the code and never tells the
 * visitor whether the address was known.
 */
@Injectable()
export class OneTimeCodesService {
  private readonly hashKey: Buffer;

  constructor(
    @Inject(ONE_TIME_CODE_STORE) private readonly store: OneTimeCodeStore,
    @Inject(WRITE_PATH_STORE) private readonly writePath: WritePathStore,
    private readonly vault: IdentityVaultService,
    @Inject(VAULT_KEYS) keys: VaultKeys,
  ) {
    this.hashKey = Buffer.from(
      hkdfSync('sha256', keys.blindIndexKey, Buffer.alloc(0), 'consent-ledger/one-time-code', 32),
    );
  }

  async issue(email: string): Promise<IssuedOneTimeCode> {
    const { subjectIds, erased } = await this.vault.lookup('EMAIL', email);
    if (erased || subjectIds.length !== 1)
      throw new AppError(
        'ONE_TIME_CODE.NO_SUBJECT',
        'No one to send a code to',
        'No single person holds this email address in the identity vault.',
      );
    const subjectId = subjectIds[0]!;
    const codeId = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(Date.now() + ONE_TIME_CODE_RULES.ttlMs);
    const since = new Date(Date.now() - ONE_TIME_CODE_RULES.windowMs);
    const kept = await this.store.issue(
      { codeId, subjectId, codeHash: this.hash(codeId, code), expiresAt },
      ONE_TIME_CODE_RULES.maxCodesPerWindow,
      since,
    );
    if (!kept)
      throw new AppError(
        'ONE_TIME_CODE.RATE_LIMITED',
        'Too many codes',
        `This person was sent ${ONE_TIME_CODE_RULES.maxCodesPerWindow} codes in the last 15 minutes.`,
      );
    return { codeId, code, subjectId, expiresAt: expiresAt.toISOString() };
  }

  /** The person the code opens the centre for, once; 422 for a wrong, old, used or over-tried code. */
  async verify(
    codeId: string,
    code: string,
  ): Promise<{ subjectId: string; jurisdiction: string | null }> {
    const tried = await this.store.attempt(codeId, ONE_TIME_CODE_RULES.maxAttempts);
    const matches = tried !== undefined && timingSafeEqual(this.hash(codeId, code), tried.codeHash);
    if (!tried || !matches || !(await this.store.useUp(codeId)))
      throw new AppError(
        'ONE_TIME_CODE.INVALID',
        'Code not accepted',
        'The code is wrong, expired, already used or was tried too often.',
      );
    const state = await this.writePath.subjectState(tried.subjectId);
    return { subjectId: tried.subjectId, jurisdiction: state.jurisdiction };
  }

  private hash(codeId: string, code: string): Buffer {
    return createHmac('sha256', this.hashKey).update(`${codeId}:${code}`).digest();
  }
}
