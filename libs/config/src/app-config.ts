import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BackdatingWindow, OpaqueIdRules } from '@consent-ledger/consent-domain';
import { environmentSchema } from './config.schema';
import type { Environment } from './config.schema';
import { developmentSecrets } from './production-rules';
import { parseApiKeys } from './api-key-settings';
import type { ApiKey } from './api-key-settings';
import { preferenceCentreSettings, preferenceLinkSettings } from './preference-centre-settings';
import type {
  PreferenceCentreSettings,
  PreferenceLinkSettings,
} from './preference-centre-settings';
import { vaultSettings } from './vault-settings';
import { complianceDashboardSettings } from './compliance-dashboard-settings';
import type { ComplianceDashboardSettings } from './compliance-dashboard-settings';
import type { VaultSettings } from './vault-settings';
import type { LifecycleMessageSettings, TeamWebhookSettings } from './lifecycle-settings';

/** Kafka connection settings, shaped for kafkajs. */
export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: false | { readonly ca?: string };
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
  /** Overrides the topic list's replication factor (1 on a single-broker development cluster). */
  readonly replicationFactorOverride?: number;
  readonly topicsFile: string;
  /** Prepended to every topic name (environments sharing a cluster, isolated tests). */
  readonly topicPrefix: string;
  /** How long a request waits for Kafka's acknowledgement before answering 503. */
  readonly ackTimeoutMs: number;
}

export interface SchemaRegistrySettings {
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly schemasDir: string;
}

export interface DatabaseSettings {
  readonly url: string;
  readonly ssl: boolean;
  readonly poolSize: number;
}

export interface ConsentPolicySettings {
  readonly file: string;
  /** How far back a live channel's `occurredAt` may lie, and an import's. */
  readonly backdating: BackdatingWindow;
  readonly strictestEverywhere: boolean;
  /**
   * The longest the API's expiry schedule sleeps before looking again for the next expiry (it
   * wakes at each expiry it knows of; this bounds how late it hears of grants other instances
   * accepted).
   */
  readonly expiryRescanIntervalMs: number;
  /** Lifecycle messages (re-consent, renewal reminders): the sending rate, how often to look. */
  readonly lifecycle: LifecycleMessageSettings;
  /** What subject and actor ids may look like (SUBJECT_ID_PATTERN, …_REFUSE_DIRECT_IDENTIFIERS). */
  readonly identifiers: OpaqueIdRules;
}

/** Signed anchors of the chain heads (see docs/audit.md, "Chain checkpoints"). */
export interface ChainCheckpointSettings {
  /** How often the API signs and publishes a checkpoint; 0: never on its own. */
  readonly intervalMs: number;
  /** The Ed25519 signing key (PKCS#8 PEM). */
  readonly keyFile: string;
  /** The public key an auditor trusts (SPKI PEM). */
  readonly publicKeyFile: string;
  /** Outside production, a missing signing key is created on first use. */
  readonly createKeyIfMissing: boolean;
}

/** A downstream vendor's endpoint and credentials. */
export interface VendorEndpoint {
  readonly url: string;
  readonly apiKey: string;
}

export interface ConnectorSettings {
  readonly downstreamSystemsFile: string;
  /** The downstream systems this connectors process serves. */
  readonly enabled: readonly string[];
  readonly emailPlatform: VendorEndpoint;
  readonly crm: VendorEndpoint;
  /** Attempts per update before it is dead-lettered. */
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly teamWebhooks: TeamWebhookSettings;
}

/** The documented anonymisation key of the local stack; refused when NODE_ENV=production. */
export const DEVELOPMENT_ANONYMIZATION_KEY = developmentSecrets.anonymizationKey;

export interface DecisionSettings {
  /** Deny consent-based purposes when the view is more records than this behind the log. */
  readonly maxLagRecords: number;
  /** Deny when the view has not learnt where the log ends for this long. */
  readonly maxStalenessMs: number;
  /** Which data category each record field holds, for `POST /v1/filter?mode=anonymize`. */
  readonly dataFieldsFile: string;
  /** Keys the HMAC of hashed fields, so hashes cannot be reversed by guessing. */
  readonly anonymizationKey: string;
  /** Subjects one JSON page of an audience looks at, at most. */
  readonly audiencePageMaxScanned: number;
  /** Changes a follower that does not read may leave waiting before its stream is ended. */
  readonly followerMaxQueuedChanges: number;
}

/** The validated configuration of every app. Built once at boot by {@link loadConfig}. */
export interface AppConfig {
  readonly environment: Environment['NODE_ENV'];
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly httpPort: number;
  /** How long a client may take to send a request's headers, and the whole request. */
  readonly requestTimeouts: { readonly headersMs: number; readonly requestMs: number };
  /** Requests one API key (or one address without a key) may make per window, per process. */
  readonly rateLimit: { readonly maxPerWindow: number; readonly windowMs: number };
  /** `/metrics` and `/docs` answer only a key with the operations scope. */
  readonly operationsEndpointsRequireKey: boolean;
  readonly kafka: KafkaSettings;
  readonly schemaRegistry: SchemaRegistrySettings;
  readonly database: DatabaseSettings;
  readonly consentPolicy: ConsentPolicySettings;
  readonly chainCheckpoints: ChainCheckpointSettings;
  readonly apiKeys: readonly ApiKey[];
  readonly connectors: ConnectorSettings;
  readonly decisions: DecisionSettings;
  readonly preferenceLinks: PreferenceLinkSettings;
  readonly preferenceCentre: PreferenceCentreSettings;
  readonly vault: VaultSettings;
  readonly complianceDashboard: ComplianceDashboardSettings;
}

/** Thrown at boot when a setting is missing or malformed; the message names each bad setting. */
export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type RawEnvironment = Readonly<Record<string, string | undefined>>;

/** Drops empty strings so that `FOO=` means "not set" and the default applies. */
function withoutEmptyValues(raw: RawEnvironment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}

function readCaFile(path: string | undefined): { ca?: string } {
  if (!path) return {};
  try {
    return { ca: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new ConfigError([
      `KAFKA_SSL_CA_FILE: cannot read '${path}' (${(error as Error).message})`,
    ]);
  }
}

function toAppConfig(env: Environment): AppConfig {
  const sasl =
    env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? {
          mechanism: env.KAFKA_SASL_MECHANISM,
          username: env.KAFKA_SASL_USERNAME,
          password: env.KAFKA_SASL_PASSWORD,
        }
      : undefined;
  const registryAuth =
    env.SCHEMA_REGISTRY_USERNAME && env.SCHEMA_REGISTRY_PASSWORD
      ? { username: env.SCHEMA_REGISTRY_USERNAME, password: env.SCHEMA_REGISTRY_PASSWORD }
      : undefined;
  return {
    environment: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    httpPort: env.HTTP_PORT,
    requestTimeouts: {
      headersMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestMs: env.HTTP_REQUEST_TIMEOUT_MS,
    },
    rateLimit: { maxPerWindow: env.RATE_LIMIT_PER_KEY_PER_SECOND, windowMs: 1_000 },
    operationsEndpointsRequireKey: env.OPERATIONS_ENDPOINTS_REQUIRE_KEY,
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      ssl: env.KAFKA_SSL ? readCaFile(env.KAFKA_SSL_CA_FILE) : false,
      ...(sasl ? { sasl } : {}),
      ...(env.KAFKA_REPLICATION_FACTOR
        ? { replicationFactorOverride: env.KAFKA_REPLICATION_FACTOR }
        : {}),
      topicsFile: env.KAFKA_TOPICS_FILE,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      ackTimeoutMs: env.KAFKA_ACK_TIMEOUT_MS,
    },
    schemaRegistry: {
      url: env.SCHEMA_REGISTRY_URL,
      ...(registryAuth ? { auth: registryAuth } : {}),
      schemasDir: env.SCHEMAS_DIR,
    },
    database: { url: env.DATABASE_URL, ssl: env.DATABASE_SSL, poolSize: env.DATABASE_POOL_SIZE },
    consentPolicy: {
      file: env.CONSENT_POLICY_FILE,
      strictestEverywhere: env.CONSENT_STRICTEST_EVERYWHERE,
      expiryRescanIntervalMs: env.EXPIRY_RESCAN_INTERVAL_MS,
      lifecycle: {
        sendsPerSecond: env.LIFECYCLE_SENDS_PER_SECOND,
        scanIntervalMs: env.LIFECYCLE_SCAN_INTERVAL_MS,
      },
      backdating: {
        maxMs: env.CONSENT_MAX_BACKDATE_DAYS * 86_400_000,
        importMaxMs: env.CONSENT_IMPORT_MAX_BACKDATE_DAYS * 86_400_000,
      },
      identifiers: {
        pattern: new RegExp(env.SUBJECT_ID_PATTERN),
        refuseDirectIdentifiers: env.SUBJECT_ID_REFUSE_DIRECT_IDENTIFIERS,
      },
    },
    chainCheckpoints: chainCheckpointSettings(env),
    preferenceLinks: preferenceLinkSettings(env),
    preferenceCentre: preferenceCentreSettings(env, developmentSecrets.apiKey),
    vault: vaultSettings(env),
    complianceDashboard: complianceDashboardSettings(env, developmentSecrets.apiKey),
    apiKeys: parseApiKeys(env.API_KEYS),
    connectors: {
      downstreamSystemsFile: env.DOWNSTREAM_SYSTEMS_FILE,
      enabled: env.CONNECTORS.split(','),
      emailPlatform: { url: env.EMAIL_PLATFORM_URL, apiKey: env.EMAIL_PLATFORM_API_KEY },
      crm: { url: env.CRM_URL, apiKey: env.CRM_API_KEY },
      maxAttempts: env.SINK_MAX_ATTEMPTS,
      timeoutMs: env.SINK_TIMEOUT_MS,
      teamWebhooks: {
        file: env.TEAM_WEBHOOKS_FILE,
        maxAttempts: env.TEAM_WEBHOOKS_MAX_ATTEMPTS,
        retryBaseMs: env.TEAM_WEBHOOKS_RETRY_BASE_MS,
        pollIntervalMs: env.TEAM_WEBHOOKS_POLL_INTERVAL_MS,
      },
    },
    decisions: {
      maxLagRecords: env.DECISION_MAX_LAG_RECORDS,
      maxStalenessMs: env.DECISION_MAX_STALENESS_MS,
      dataFieldsFile: env.DATA_FIELDS_FILE,
      anonymizationKey: env.ANONYMIZATION_KEY ?? DEVELOPMENT_ANONYMIZATION_KEY,
      audiencePageMaxScanned: env.AUDIENCE_PAGE_MAX_SCANNED,
      followerMaxQueuedChanges: env.AUDIENCE_FOLLOWER_MAX_QUEUED_CHANGES,
    },
  };
}

/** Where the checkpoint keys live: configured, or (outside production) in the user's cache. */
function chainCheckpointSettings(env: Environment): ChainCheckpointSettings {
  const keyFile =
    env.CHAIN_CHECKPOINT_KEY_FILE ??
    join(homedir(), '.cache', 'consent-ledger', 'keys', 'chain-checkpoint-ed25519.pem');
  return {
    intervalMs: env.CHAIN_CHECKPOINT_INTERVAL_MS,
    keyFile,
    publicKeyFile: env.CHAIN_CHECKPOINT_PUBLIC_KEY_FILE ?? `${keyFile}.pub`,
    createKeyIfMissing: env.NODE_ENV !== 'production',
  };
}

/**
 * Reads and validates the configuration. Fails fast with a {@link ConfigError} naming every bad
 * setting. `raw` defaults to the process environment; tests pass their own.
 */
export function loadConfig(raw: RawEnvironment = process.env): AppConfig {
  const parsed = environmentSchema.safeParse(withoutEmptyValues(raw));
  if (!parsed.success) {
    throw new ConfigError(
      // The setting and what is wrong with it, never its value: it may be a secret.
      parsed.error.issues.map(
        (issue) => `${String(issue.path[0] ?? '(environment)')}: ${issue.message}`,
      ),
    );
  }
  return toAppConfig(parsed.data);
}

/**
 * The process configuration with some settings replaced: how tests and child processes point
 * an app at their own topics and database.
 */
export function loadConfigWith(overrides: Readonly<Record<string, string>>): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

/** The environment a child process needs to run with `overrides` on top of this one's. */
export function childEnvironment(
  overrides: Readonly<Record<string, string>>,
): Record<string, string> {
  return withoutEmptyValues({ ...process.env, ...overrides });
}
