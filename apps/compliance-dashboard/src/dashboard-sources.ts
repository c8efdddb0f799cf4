import type { ComplianceDashboardSettings, DownstreamSystem } from '@consent-ledger/config';
import type { ConsumerGroupLag, DeadLetterFollower } from '@consent-ledger/kafka';
import type {
  AffectedManifest,
  OperationsQueries,
  StandingQueries,
  VerifyRun,
} from '@consent-ledger/persistence';

/** A consent-based purpose as the dashboard names it. */
export interface CountedPurpose {
  readonly id: string;
  readonly description: string;
}

/**
 * Where the dashboard's figures come from: the projector's counters and the read model
 * (PostgreSQL), the dead-letter topics and the consumer groups' offsets (Kafka), and the last
 * `verify`. Built once at start by dashboard.app.ts; every view reads through it.
 */
export interface DashboardSources {
  readonly settings: ComplianceDashboardSettings;
  readonly purposes: readonly CountedPurpose[];
  /** The enabled downstream systems, each with its objective. */
  readonly systems: readonly DownstreamSystem[];
  readonly standings: StandingQueries;
  readonly operations: OperationsQueries;
  readonly deadLetters: DeadLetterFollower;
  /** The projector's and each connector's consumer group lag. */
  readonly lags: () => Promise<ConsumerGroupLag[]>;
  readonly lastVerify: () => Promise<VerifyRun | undefined>;
  readonly affectedManifests: () => Promise<AffectedManifest[]>;
  /** The consumer group of the projector and of each system's connector, by system name. */
  readonly consumerGroups: {
    readonly projector: string;
    readonly connectors: ReadonlyMap<string, string>;
  };
  /** Hours an erasure's key is held for systems that must confirm (ERASURE_KEY_HOLD_HOURS). */
  readonly erasureKeyHoldHours: number;
}
