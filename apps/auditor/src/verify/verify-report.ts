import type { ChainFinding, CheckpointFinding } from '@consent-ledger/consent-domain';
import type { ExportedCheckpoint } from '@consent-ledger/kafka';

/**
 * What `verify` reports. Chain findings come from the log alone; the others compare the log with
 * the read model: an event whose stored copy differs (`ALTERED`), one the read model holds but
 * the log does not (`MISSING_FROM_LOG`), one the projector passed but did not store
 * (`NOT_IN_READ_MODEL`), a subject whose state differs (`STATE_MISMATCH`), a chain whose last
 * link is not the one the API wrote (`HEAD_MISMATCH`), and records that cannot be read. Against
 * a signed checkpoint: the checkpoint itself not what was signed (`CHECKPOINT_INVALID`), and the
 * log measured against it (see {@link CheckpointFinding}).
 */
export type VerifyFindingKind =
  | ChainFinding['kind']
  | CheckpointFinding['kind']
  | 'CHECKPOINT_INVALID'
  | 'ALTERED'
  | 'MISSING_FROM_LOG'
  | 'NOT_IN_READ_MODEL'
  | 'STATE_MISMATCH'
  | 'HEAD_MISMATCH'
  | 'UNREADABLE';

export interface VerifyFinding {
  readonly kind: VerifyFindingKind;
  readonly subjectId: string | null;
  readonly eventId: string | null;
  readonly partition: number | null;
  readonly offset: string | null;
  readonly detail: string;
}

export interface VerifyReport {
  readonly consistent: boolean;
  readonly topic: string;
  readonly asOf: string | null;
  readonly eventsChecked: number;
  /** Records that repeated an event exactly (sent again after Kafka acknowledged it late). */
  readonly repeatedRecords: number;
  readonly subjectsCompared: number;
  readonly readModelEvents: number;
  /** The signed checkpoint the log was measured against; null when there was none. */
  readonly checkpoint: {
    readonly checkpointId: string;
    readonly createdAt: string;
    readonly subjectCount: number;
    readonly keyId: string;
  } | null;
  readonly findings: readonly VerifyFinding[];
}

/**
 * Which checkpoint `verify` measures the log against: the last one on the checkpoints topic
 * (default for the live log), one exported earlier (for a copy or an archive), or none.
 */
export type CheckpointChoice = 'latest' | 'none' | ExportedCheckpoint;
