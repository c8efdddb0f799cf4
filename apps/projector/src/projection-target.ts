import type { LoadedConsentPolicy } from '@consent-ledger/config';

/** Where the projection reads and writes, and the policy its decisions follow. */
export interface ProjectionTarget {
  /** Taxonomy and policy: decision changes are published when an event changes a decision. */
  readonly consentPolicy: LoadedConsentPolicy;
  readonly stateTopic: string;
  readonly suppressionTopic: (purpose: string) => string;
  /** The latest local version of the consent event schema: every event is read in its shape. */
  readonly readerSchema: string;
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  readonly consumerGroup: string;
  /**
   * Whether the projection keeps the compliance dashboard's standings, counters and daily tallies
   * (default true). Off only to measure what they cost.
   */
  readonly countsStandings?: boolean;
}
