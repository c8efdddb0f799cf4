import { loadConfigWith } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createTemporaryDatabase } from './temporary-database';
import type { TemporaryDatabase } from './temporary-database';
import { uniqueName } from './unique-name';

/** A test's own slice of the real stack: its own topics, consumer groups and database. */
export interface TestEnvironment {
  readonly config: AppConfig;
  /** The settings that make an app (in process or a child process) use this environment. */
  readonly overrides: Readonly<Record<string, string>>;
  readonly database: TemporaryDatabase;
  dispose(): Promise<void>;
}

/** The API key with every scope that test environments configure. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';
/** A key with only consent:read, for 403 tests. */
export const TEST_READ_ONLY_KEY = 'test-read-only-key-0123456789';
/** A collection channel's key bound to the WEB channel. */
export const TEST_WEB_CHANNEL_KEY = 'test-web-channel-key-0123456789';
/** A decision reader that may loosen an answer by the jurisdiction it names. */
export const TEST_JURISDICTION_OVERRIDE_KEY = 'test-override-key-0123456789';
/** The preference centre's key: a collection channel on the web and in emails. */
export const TEST_PREFERENCE_CENTRE_KEY = 'test-preference-centre-key-0123456789';

export async function createTestEnvironment(
  extra: Readonly<Record<string, string>> = {},
): Promise<TestEnvironment> {
  const base = loadConfigWith({});
  const database = await createTemporaryDatabase(base.database.url);
  const overrides = {
    KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
    KAFKA_REPLICATION_FACTOR: '1',
    DATABASE_URL: database.url,
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    // Checkpoints are taken when a test asks, signed with the environment's own key.
    CHAIN_CHECKPOINT_INTERVAL_MS: '0',
    CHAIN_CHECKPOINT_KEY_FILE: join(tmpdir(), `${uniqueName('checkpoint-key')}.pem`),
    // The identity vault's keys are the environment's own, created on first use.
    VAULT_KEY_FILE: join(tmpdir(), uniqueName('vault-keys'), 'identity-vault.json'),
    PREFERENCE_LINK_KEY_FILE: join(tmpdir(), uniqueName('link-keys'), 'preference-link-keys.json'),
    API_KEYS: `admin/${TEST_ADMIN_KEY}/consent:write+consent:read+decision:read+audit:read+identity:write+identity:read+erasure+preference-link:issue+one-time-code+operations+admin;reader/${TEST_READ_ONLY_KEY}/consent:read;overrider/${TEST_JURISDICTION_OVERRIDE_KEY}/decision:read+decision:override-jurisdiction;web-banner/${TEST_WEB_CHANNEL_KEY}/consent:write/WEB;preference-centre/${TEST_PREFERENCE_CENTRE_KEY}/consent:write+consent:read+preference-link:issue+one-time-code/WEB+EMAIL_LINK`,
    PREFERENCE_CENTRE_API_KEY: TEST_PREFERENCE_CENTRE_KEY,
    ...extra,
  };
  const config = loadConfigWith(overrides);
  return {
    config,
    overrides,
    database,
    dispose: async () => {
      await deleteTopicsWithPrefix(config, overrides.KAFKA_TOPIC_PREFIX);
      await database.drop();
    },
  };
}

/** Removes the topics a test environment created, so repeated runs do not pile them up. */
async function deleteTopicsWithPrefix(config: AppConfig, prefix: string): Promise<void> {
  const admin = new Kafka({
    brokers: [...config.kafka.brokers],
    clientId: 'test-cleanup',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
