import { z } from 'zod';
import { collectionChannels } from '@consent-ledger/consent-domain';
import { preferenceCentreEnvironment } from './preference-centre-settings';
import { complianceDashboardEnvironment } from './compliance-dashboard-settings';
import { developmentSecrets, productionProblems } from './production-rules';

const hostPort = /^[^\s:,]+:\d{1,5}$/;

const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

const commaList = (description: string, pattern: RegExp) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(pattern, `each entry must be ${description}`)).min(1));

const optionalText = z.string().min(1).optional();

/**
 * Every setting the apps read, with its default for the local stack. The keys are the
 * environment variable names, so an error message names exactly what to fix.
 */
export const environmentSchema = z
  .object({
    // No default: a deployment says what it is, so none runs with development defaults unawares.
    NODE_ENV: z.enum(['development', 'test', 'production'], {
      message: 'must be set explicitly to development, test or production',
    }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
    OPERATIONS_ENDPOINTS_REQUIRE_KEY: booleanFlag.default(false),
    RATE_LIMIT_PER_KEY_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(10_000),

    KAFKA_BROKERS: commaList('host:port', hostPort).default(['127.0.0.1:9092']),
    KAFKA_CLIENT_ID: z.string().min(1).default('consent-ledger'),
    KAFKA_SSL: booleanFlag.default(false),
    KAFKA_SSL_CA_FILE: optionalText,
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: optionalText,
    KAFKA_SASL_PASSWORD: optionalText,
    KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).optional(),
    KAFKA_TOPICS_FILE: z.string().min(1).default('deploy/topics.yaml'),
    KAFKA_TOPIC_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9._-]*$/, 'may hold only letters, digits, dot, dash and underscore')
      .default(''),
    KAFKA_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),

    SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
    SCHEMA_REGISTRY_USERNAME: optionalText,
    SCHEMA_REGISTRY_PASSWORD: optionalText,
    SCHEMAS_DIR: z.string().min(1).default('schemas'),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/.+\/[^/?]+/, 'must be a postgres://user@host:port/database URL')
      .default('postgres://postgres@127.0.0.1:5432/consent_ledger'),
    DATABASE_SSL: booleanFlag.default(false),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

    EXPIRY_RESCAN_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
    LIFECYCLE_SENDS_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(50),
    LIFECYCLE_SCAN_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
    CHAIN_CHECKPOINT_INTERVAL_MS: z.coerce
      .number()
      .int()
      .refine((ms) => ms === 0 || (ms >= 1_000 && ms <= 86_400_000), {
        message: 'must be 0 (off) or between 1000 and 86400000',
      })
      .default(3_600_000),
    CHAIN_CHECKPOINT_KEY_FILE: optionalText,
    VAULT_KEY_FILE: optionalText,
    VAULT_KMS: z.enum(['local-file', 'pkcs11']).default('local-file'),
    VAULT_PKCS11_URL: z.url().default('http://127.0.0.1:3960'),
    VAULT_PKCS11_TOKEN_FILE: optionalText,
    ERASURE_KEY_HOLD_HOURS: z.coerce.number().min(0).max(720).default(72),
    ERASURE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(2_000),
    CHAIN_CHECKPOINT_PUBLIC_KEY_FILE: optionalText,
    DOWNSTREAM_SYSTEMS_FILE: z.string().min(1).default('deploy/policy/downstream-systems.yaml'),
    CONNECTORS: z
      .string()
      .regex(/^[a-z-]+(,[a-z-]+)*$/, 'must be a comma-separated list of downstream system names')
      .default('email-platform,crm,ml-training'),
    EMAIL_PLATFORM_URL: z.url().default('http://127.0.0.1:3950'),
    EMAIL_PLATFORM_API_KEY: z.string().min(1).default(developmentSecrets.emailPlatformApiKey),
    CRM_URL: z.url().default('http://127.0.0.1:3951'),
    CRM_API_KEY: z.string().min(1).default(developmentSecrets.crmApiKey),
    SINK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(6),
    SINK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    TEAM_WEBHOOKS_FILE: z.string().min(1).default('deploy/policy/team-webhooks.yaml'),
    TEAM_WEBHOOKS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(10),
    TEAM_WEBHOOKS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
    TEAM_WEBHOOKS_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
    CONSENT_POLICY_FILE: z.string().min(1).default('deploy/policy/consent-policy.yaml'),
    CONSENT_STRICTEST_EVERYWHERE: booleanFlag.default(false),
    SUBJECT_ID_PATTERN: z
      .string()
      .min(1)
      .refine((source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      }, 'must be a regular expression')
      .default('^[A-Za-z0-9._:@-]{1,128}$'),
    SUBJECT_ID_REFUSE_DIRECT_IDENTIFIERS: booleanFlag.default(true),
    DECISION_MAX_LAG_RECORDS: z.coerce.number().int().min(0).max(10_000_000).default(1_000),
    DECISION_MAX_STALENESS_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
    DATA_FIELDS_FILE: z.string().min(1).default('deploy/policy/data-fields.yaml'),
    AUDIENCE_PAGE_MAX_SCANNED: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
    AUDIENCE_FOLLOWER_MAX_QUEUED_CHANGES: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000),
    ANONYMIZATION_KEY: z
      .string()
      .min(16, 'must be at least 16 characters (it keys the HMAC of hashed fields)')
      .optional(),
    API_KEYS: z
      .string()
      .regex(
        /^[\w.-]+\/[^/;\s]{8,}\/[\w:.-]+(\+[\w:.-]+)*(\/[A-Z_]+(\+[A-Z_]+)*)?(;[\w.-]+\/[^/;\s]{8,}\/[\w:.-]+(\+[\w:.-]+)*(\/[A-Z_]+(\+[A-Z_]+)*)?)*$/,
        'must be id/secret/scope+scope[/CHANNEL+CHANNEL] entries separated by ";" (secrets of 8+ characters)',
      )
      .optional(),
    CONSENT_MAX_BACKDATE_DAYS: z.coerce.number().min(0).max(36_500).default(30),
    CONSENT_IMPORT_MAX_BACKDATE_DAYS: z.coerce.number().min(0).max(36_500).default(3_650),
    ...preferenceCentreEnvironment,
    ...complianceDashboardEnvironment,
  })
  .superRefine((env, ctx) => {
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['HTTP_HEADERS_TIMEOUT_MS'],
        message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS',
      });
    if (env.NODE_ENV === 'production') {
      for (const { setting, message } of productionProblems(env)) {
        ctx.addIssue({ code: 'custom', path: [setting], message });
      }
    }
    for (const entry of env.API_KEYS?.split(';') ?? []) {
      const [id, , , channels] = entry.split('/');
      const unknown = (channels?.split('+') ?? []).filter(
        (channel) => !(collectionChannels as readonly string[]).includes(channel),
      );
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['API_KEYS'],
          message: `key '${id}' is bound to unknown channel(s) ${unknown.join(', ')} (known: ${collectionChannels.join(', ')})`,
        });
    }
    if (env.KAFKA_SASL_MECHANISM && !(env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_USERNAME'],
        message:
          'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM',
      });
    }
    if (Boolean(env.SCHEMA_REGISTRY_USERNAME) !== Boolean(env.SCHEMA_REGISTRY_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SCHEMA_REGISTRY_PASSWORD'],
        message: 'SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together',
      });
    }
  });

export type Environment = z.infer<typeof environmentSchema>;
