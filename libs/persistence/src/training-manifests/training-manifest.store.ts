import type { SubjectConsentState } from '@consent-ledger/consent-domain';

/** The DI token of the {@link TrainingManifestStore}. */
export const TRAINING_MANIFEST_STORE = Symbol('TRAINING_MANIFEST_STORE');

/** A manifest as it is kept: who asked for what, and the subjects it allowed. */
export interface StoredManifest {
  readonly manifestId: string;
  readonly jobId: string;
  readonly datasetId: string;
  readonly purpose: string;
  readonly requested: number;
  readonly allowed: readonly string[];
  readonly logPosition: Readonly<Record<string, string>>;
  readonly policyVersion: string;
  readonly issuedBy: string;
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

/** What issuing one manifest reads and writes, in one consistent snapshot. */
export interface ManifestTransaction {
  /**
   * The ML-training exclusion table's answer at `at` for the subjects whose decision changed (a
   * grant whose expiry has come by then is excluded, before its EXPIRE arrives).
   */
  exclusions(
    purpose: string,
    subjectIds: readonly string[],
    at: Date,
  ): Promise<Map<string, boolean>>;
  /** The read model's consent state of each subject (the initial state when it has none). */
  states(subjectIds: readonly string[]): Promise<Map<string, SubjectConsentState>>;
  /** Where in consent.events.v1 (next offset per partition) the read model stands. */
  logPosition(): Promise<Record<string, string>>;
  record(manifest: StoredManifest): Promise<void>;
}

/** Training manifests and the subjects they allowed, for reproducible runs and later tracing. */
export interface TrainingManifestStore {
  /**
   * Runs `work` in one REPEATABLE READ transaction, so that the exclusions, the states and the
   * log position agree; the manifest is kept when `work` resolves.
   */
  inSnapshot<T>(work: (transaction: ManifestTransaction) => Promise<T>): Promise<T>;
  /** Manifests that included someone who later withdrew (or whose consent expired). */
  affected(): Promise<AffectedManifest[]>;
}
