import { ProjectionCheckpoints1795000000000 } from './1795000000000-projection-checkpoints';
import { ConsentReadModel1795000100000 } from './1795000100000-consent-read-model';
import { ConsentOutbox1795000200000 } from './1795000200000-consent-outbox';
import { SinkPosition1795000300000 } from './1795000300000-sink-position';
import { MlTraining1795000400000 } from './1795000400000-ml-training';
import { Audit1795000500000 } from './1795000500000-audit';
import { SinkCallIntent1795000600000 } from './1795000600000-sink-call-intent';
import { ExpectedRows1795000700000 } from './1795000700000-expected-rows';
import { SinkCallSpans1795000800000 } from './1795000800000-sink-call-spans';
import { UsageJurisdiction1795000900000 } from './1795000900000-usage-jurisdiction';
import { EventRecordedBy1795001000000 } from './1795001000000-event-recorded-by';
import { ChainHeads1795001100000 } from './1795001100000-chain-heads';
import { UnacknowledgedEvents1795001200000 } from './1795001200000-unacknowledged-events';
import { IdentityVault1795001300000 } from './1795001300000-identity-vault';
import { Erasure1795001400000 } from './1795001400000-erasure';
import { ManagedApiKeys1795001500000 } from './1795001500000-managed-api-keys';
import { ErasureKeyHold1795001600000 } from './1795001600000-erasure-key-hold';
import { OneTimeCodes1795001700000 } from './1795001700000-one-time-codes';
import { ConsentStandings1795001800000 } from './1795001800000-consent-standings';
import { GrantExpiryIndex1795001900000 } from './1795001900000-grant-expiry-index';
import { ExclusionAllowedUntil1795002000000 } from './1795002000000-exclusion-allowed-until';
import { Lifecycle1795002100000 } from './1795002100000-lifecycle';
import { TeamNotifications1795002200000 } from './1795002200000-team-notifications';
import { ErasedHeadsIndex1795002300000 } from './1795002300000-erased-heads-index';

/** Every migration, oldest first. Listed explicitly so that ts-node and compiled code agree. */
export const migrations = [
  ProjectionCheckpoints1795000000000,
  ConsentReadModel1795000100000,
  ConsentOutbox1795000200000,
  SinkPosition1795000300000,
  MlTraining1795000400000,
  Audit1795000500000,
  SinkCallIntent1795000600000,
  ExpectedRows1795000700000,
  SinkCallSpans1795000800000,
  UsageJurisdiction1795000900000,
  EventRecordedBy1795001000000,
  ChainHeads1795001100000,
  UnacknowledgedEvents1795001200000,
  IdentityVault1795001300000,
  Erasure1795001400000,
  ManagedApiKeys1795001500000,
  ErasureKeyHold1795001600000,
  OneTimeCodes1795001700000,
  ConsentStandings1795001800000,
  GrantExpiryIndex1795001900000,
  ExclusionAllowedUntil1795002000000,
  Lifecycle1795002100000,
  TeamNotifications1795002200000,
  ErasedHeadsIndex1795002300000,
];
