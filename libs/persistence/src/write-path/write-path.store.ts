import type { KnownKey, SubjectConsentState } from '@consent-ledger/consent-domain';

/** The DI token of the {@link WritePathStore}. */
export const WRITE_PATH_STORE = Symbol('WRITE_PATH_STORE');

/** An event's exact bytes on the events topic, kept until Kafka acknowledges them. */
export interface StoredEventRecord {
  readonly subjectId: string;
  readonly eventId: string;
  readonly value: Buffer;
}

/** One event a group writes, as the store keeps it until Kafka acknowledges it. */
export interface WrittenEvent extends StoredEventRecord {
  readonly idempotencyKey: string;
  /** SHA-256 of the request that wrote it (a reused key with other content is a conflict). */
  readonly fingerprint: string;
}

/** What one transaction of the write path reads and writes. */
export interface WritePathTransaction {
  /**
   * Locks the subjects' chain heads (creating them on first use) and says which subjects have
   * events Kafka has not acknowledged, and which were erased.
   */
  lockChainHeads(subjects: readonly string[]): Promise<LockedHeads>;
  /** The keys among these that were used before, by `idempotencyKeyOf`. */
  knownKeys(
    keys: ReadonlyArray<{ readonly subjectId: string; readonly idempotencyKey: string }>,
  ): Promise<Map<string, KnownKey>>;
  /** The subjects' events Kafka has not acknowledged yet, in the order they were written. */
  unacknowledged(subjects: readonly string[]): Promise<StoredEventRecord[]>;
  /**
   * A group's events: their keys, their exact bytes, and each subject's new chain head (marked
   * erased when the group erased the subject).
   */
  recordWritten(
    written: readonly WrittenEvent[],
    newHeads: ReadonlyMap<string, NewHead>,
  ): Promise<void>;
}

/** The chain heads a transaction locked. */
export interface LockedHeads {
  readonly heads: Map<string, string | null>;
  readonly unacknowledgedIn: string[];
  /** Subjects whose ERASE event is recorded. */
  readonly erased: Set<string>;
}

/** A subject's head after a group's events. */
export interface NewHead {
  readonly eventId: string;
  readonly hash: string | null;
  /** The group recorded the subject's ERASE event. */
  readonly erased: boolean;
}

/** A grant past its expiry whose EXPIRE event is still to be recorded. */
export interface LapsedGrant {
  readonly subjectId: string;
  readonly purpose: string;
  readonly eventId: string;
  readonly expiresAt: Date;
  readonly jurisdiction: string;
  readonly legalBasis: string;
  /** The subject was erased: nothing of theirs is recorded again, their EXPIRE neither. */
  readonly erased: boolean;
}

/**
 * Where recording consent keeps what it must know between requests: chain heads, idempotency
 * keys, and the events Kafka has not acknowledged yet.
 */
export interface WritePathStore {
  /** Runs `work` in one transaction, committed when it resolves. */
  transaction<T>(work: (transaction: WritePathTransaction) => Promise<T>): Promise<T>;
  /** Up to `limit` subjects with events Kafka has not acknowledged for longer than `olderThanMs`. */
  subjectsLongUnacknowledged(olderThanMs: number, limit: number): Promise<string[]>;
  /** Forgets the bytes of events Kafka acknowledged. */
  forgetAcknowledged(eventIds: readonly string[]): Promise<void>;
  /** Which of `keys` the subject's requests already used. */
  usedKeys(subjectId: string, keys: readonly string[]): Promise<Set<string>>;
  /** The subject's consent state as the read model holds it. */
  subjectState(subjectId: string): Promise<SubjectConsentState>;
  /**
   * Up to `limit` grants lapsed by `at` (expiry at or before it), in expiry order, after the
   * grant `after` names (a page's last; absent for the first page).
   */
  lapsedGrants(limit: number, at: Date, after?: LapsedGrant): Promise<LapsedGrant[]>;
  /** The earliest expiry of a grant after `at`, or null when none expires later. */
  nextGrantExpiry(at: Date): Promise<Date | null>;
}
