import { readFileSync } from 'node:fs';
import { environmentSchema, type Environment } from './config.schema';

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

/** The validated configuration of every app. Built once at boot by {@link loadConfig}. */
export interface AppConfig {
  readonly environment: Environment['NODE_ENV'];
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly httpPort: number;
  readonly kafka: KafkaSettings;
  readonly schemaRegistry: SchemaRegistrySettings;
  readonly database: DatabaseSettings;
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
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      ssl: env.KAFKA_SSL ? readCaFile(env.KAFKA_SSL_CA_FILE) : false,
      ...(sasl ? { sasl } : {}),
      ...(env.KAFKA_REPLICATION_FACTOR
        ? { replicationFactorOverride: env.KAFKA_REPLICATION_FACTOR }
        : {}),
      topicsFile: env.KAFKA_TOPICS_FILE,
    },
    schemaRegistry: {
      url: env.SCHEMA_REGISTRY_URL,
      ...(registryAuth ? { auth: registryAuth } : {}),
      schemasDir: env.SCHEMAS_DIR,
    },
    database: { url: env.DATABASE_URL, ssl: env.DATABASE_SSL, poolSize: env.DATABASE_POOL_SIZE },
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
      parsed.error.issues.map((issue) => {
        const setting = String(issue.path[0] ?? '(environment)');
        const given = typeof issue.path[0] === 'string' ? raw[issue.path[0]] : undefined;
        return `${setting}: ${issue.message}${given === undefined ? '' : ` (got '${given}')`}`;
      }),
    );
  }
  return toAppConfig(parsed.data);
}
