/** The DI token of the {@link ErasureStore}. */
export const ERASURE_STORE = Symbol('ERASURE_STORE');

/**
 * An erasure as recorded: who asked and when, where the subject was, the ERASE event (null until
 * recorded) and when the data key was destroyed (null until then).
 */
export interface ErasureRecord {
  readonly subjectId: string;
  readonly requestedAt: Date;
  readonly requestedBy: string;
  readonly jurisdiction: string;
  readonly eventId: string | null;
  readonly keyDestroyedAt: Date | null;
}

/** A downstream system's confirmation that it deleted the subject. */
export interface ErasureConfirmation {
  readonly system: string;
  readonly confirmedAt: Date;
}

/** Where erasure requests and their progress are kept. */
export interface ErasureStore {
  /** The subject's erasure, if one was requested. */
  find(subjectId: string): Promise<ErasureRecord | undefined>;
  /** Opens the request (the first one stands: a repeat gets it back); returns it as kept. */
  open(request: {
    readonly subjectId: string;
    readonly requestedBy: string;
    readonly jurisdiction: string;
  }): Promise<ErasureRecord>;
  /** Notes the ERASE event that recorded the request. */
  eventRecorded(subjectId: string, eventId: string): Promise<void>;
  /** Notes that the subject's data key is destroyed; false when it was noted already. */
  keyDestroyed(subjectId: string): Promise<boolean>;
  /**
   * Up to `limit` erasures whose ERASE event is recorded and whose data key is not destroyed yet
   * (held for the downstream systems that address the person through the vault), oldest first.
   */
  keysHeld(limit: number): Promise<ErasureRecord[]>;
  /** Whether the read model applied the ERASE event. */
  projected(subjectId: string): Promise<boolean>;
  /** The downstream systems that confirmed deleting the subject, and when. */
  confirmations(subjectId: string): Promise<ErasureConfirmation[]>;
}
