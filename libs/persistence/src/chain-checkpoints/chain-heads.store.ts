/** The DI token of the {@link ChainHeadsStore}. */
export const CHAIN_HEADS_STORE = Symbol('CHAIN_HEADS_STORE');

/** A subject's chain head as the API recorded it. */
export interface RecordedHead {
  readonly subjectId: string;
  readonly headHash: string;
}

/** What the database keeps of a signed checkpoint. */
export interface CheckpointRow {
  readonly checkpointId: string;
  readonly topic: string;
  readonly createdAt: string;
  readonly subjectCount: number;
  readonly merkleRoot: string;
  readonly keyId: string;
}

/** One checkpointer's exclusive session. */
export interface CheckpointSession {
  /**
   * Waits until every transaction that had begun when it was called has ended (a writer locks
   * the heads before it sends, so every event Kafka held by then has its head committed after
   * this); fails after `deadlineMs`.
   */
  waitForWritesInFlight(deadlineMs: number): Promise<void>;
  /** Every subject's chain head. */
  heads(): Promise<RecordedHead[]>;
  record(checkpoint: CheckpointRow): Promise<void>;
}

/** The chain heads the write path keeps, as chain checkpoints read them. */
export interface ChainHeadsStore {
  /**
   * Runs `work` as the only checkpointer across API instances; undefined, without running it,
   * when another instance is taking one.
   */
  exclusively<T>(work: (session: CheckpointSession) => Promise<T>): Promise<T | undefined>;
}
