import { ConfigError, loadConfig as load } from './app-config';

type Raw = Readonly<Record<string, string | undefined>>;
/** The configuration of a development environment with these settings. */
const loadConfig = (raw: Raw) => load({ NODE_ENV: 'development', ...raw });

/** Settings that pass every production rule; each test spoils one. */
const production: Raw = {
  NODE_ENV: 'production',
  API_KEYS: `web/${'w'.repeat(32)}/consent:write;crm/${'c'.repeat(40)}/decision:read`,
  ANONYMIZATION_KEY: 'a'.repeat(32),
  EMAIL_PLATFORM_API_KEY: 'vendor-issued-email-key',
  CRM_API_KEY: 'vendor-issued-crm-key',
  KAFKA_SSL: 'true',
  DATABASE_SSL: 'true',
  SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7',
  EMAIL_PLATFORM_URL: 'https://rest.email.example',
  CRM_URL: 'https://crm.example',
  PREFERENCE_CENTRE_URL: 'https://preferences.example',
  PREFERENCE_CENTRE_SESSION_SECRET: 's'.repeat(40),
  DASHBOARD_SESSION_SECRET: 'd'.repeat(40),
  OIDC_CLIENT_SECRET: 'issued-by-the-identity-provider',
  OIDC_ISSUER_URL: 'https://login.example',
};

/** The problems loading `raw` reports, or [] when it loads. */
function problemsOf(raw: Raw): readonly string[] {
  try {
    load(raw);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('loadConfig', () => {
  it('gives working defaults for the local stack when nothing is set', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.schemaRegistry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/consent_ledger');
    expect(config.kafka.ssl).toBe(false);
    expect(config.kafka.sasl).toBeUndefined();
  });

  it('parses a broker list, SASL and a replication factor override', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'b1:9092, b2:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_REPLICATION_FACTOR: '1',
    });
    expect(config.kafka.brokers).toEqual(['b1:9092', 'b2:9093']);
    expect(config.kafka.ssl).toEqual({});
    expect(config.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'svc',
      password: 'secret',
    });
    expect(config.kafka.replicationFactorOverride).toBe(1);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ HTTP_PORT: '' }).httpPort).toBe(3000);
  });

  it.each([
    [
      'KAFKA_BROKERS',
      { KAFKA_BROKERS: 'not a broker' },
      /KAFKA_BROKERS: each entry must be host:port/,
    ],
    ['HTTP_PORT', { HTTP_PORT: '70000' }, /HTTP_PORT: /],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL: must be a postgres:\/\//],
    ['KAFKA_SSL', { KAFKA_SSL: 'yes' }, /KAFKA_SSL: must be true or false/],
    ['KAFKA_SASL_USERNAME', { KAFKA_SASL_MECHANISM: 'plain' }, /KAFKA_SASL_USERNAME: .*required/],
    [
      'SCHEMA_REGISTRY_PASSWORD',
      { SCHEMA_REGISTRY_USERNAME: 'u' },
      /SCHEMA_REGISTRY_PASSWORD: .*go together/,
    ],
  ])('fails fast naming the bad setting %s', (_setting, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reports every bad setting at once', () => {
    try {
      loadConfig({ HTTP_PORT: 'x', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const settings = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
      expect(settings.sort()).toEqual(['HTTP_PORT', 'LOG_LEVEL']);
    }
  });

  it('names an unreadable CA file', () => {
    expect(() =>
      loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }),
    ).toThrow(/KAFKA_SSL_CA_FILE: cannot read '\/nonexistent\/ca.pem'/);
  });
});

describe('loadConfig in production', () => {
  it('loads a configuration with its own secrets and TLS everywhere', () => {
    expect(problemsOf(production)).toEqual([]);
  });

  it('refuses to start without NODE_ENV', () => {
    expect(problemsOf({ ...production, NODE_ENV: undefined })).toEqual([
      'NODE_ENV: must be set explicitly to development, test or production',
    ]);
  });

  it.each([
    ['API_KEYS', { API_KEYS: undefined }, /^API_KEYS: is required/],
    [
      'API_KEYS',
      { API_KEYS: 'web/dev-local-key-change-me/consent:write' },
      /^API_KEYS: key 'web' uses the development key/,
    ],
    [
      'API_KEYS',
      { API_KEYS: 'web/short-secret-1234/consent:write' },
      /^API_KEYS: key 'web' has a secret shorter than 32/,
    ],
    ['ANONYMIZATION_KEY', { ANONYMIZATION_KEY: undefined }, /^ANONYMIZATION_KEY: is required/],
    [
      'ANONYMIZATION_KEY',
      { ANONYMIZATION_KEY: 'dev-anonymization-key-change-me' },
      /^ANONYMIZATION_KEY: is the development key/,
    ],
    [
      'ANONYMIZATION_KEY',
      { ANONYMIZATION_KEY: 'k'.repeat(20) },
      /^ANONYMIZATION_KEY: must be at least 32/,
    ],
    [
      'EMAIL_PLATFORM_API_KEY',
      { EMAIL_PLATFORM_API_KEY: undefined },
      /^EMAIL_PLATFORM_API_KEY: is the development value/,
    ],
    ['CRM_API_KEY', { CRM_API_KEY: 'dev-crm-key' }, /^CRM_API_KEY: is the development value/],
    ['KAFKA_SSL', { KAFKA_SSL: 'false' }, /^KAFKA_SSL: must be true in production/],
    [
      'KAFKA_SSL',
      {
        KAFKA_SSL: undefined,
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'svc',
        KAFKA_SASL_PASSWORD: 'pw',
      },
      /^KAFKA_SSL: .*SASL PLAIN over plaintext/,
    ],
    ['DATABASE_SSL', { DATABASE_SSL: undefined }, /^DATABASE_SSL: must be true/],
    [
      'SCHEMA_REGISTRY_URL',
      { SCHEMA_REGISTRY_URL: 'http://registry:8081' },
      /^SCHEMA_REGISTRY_URL: must be an https/,
    ],
    [
      'EMAIL_PLATFORM_URL',
      { EMAIL_PLATFORM_URL: 'http://email' },
      /^EMAIL_PLATFORM_URL: must be an https/,
    ],
    ['CRM_URL', { CRM_URL: undefined }, /^CRM_URL: must be an https/],
    [
      'PREFERENCE_CENTRE_URL',
      { PREFERENCE_CENTRE_URL: 'http://preferences.example' },
      /^PREFERENCE_CENTRE_URL: must be an https/,
    ],
    [
      'PREFERENCE_CENTRE_SESSION_SECRET',
      { PREFERENCE_CENTRE_SESSION_SECRET: undefined },
      /^PREFERENCE_CENTRE_SESSION_SECRET: is the development value/,
    ],
    [
      'DASHBOARD_SESSION_SECRET',
      { DASHBOARD_SESSION_SECRET: undefined },
      /^DASHBOARD_SESSION_SECRET: is the development value/,
    ],
    [
      'OIDC_CLIENT_SECRET',
      { OIDC_CLIENT_SECRET: undefined },
      /^OIDC_CLIENT_SECRET: is the development value/,
    ],
    [
      'OIDC_ISSUER_URL',
      { OIDC_ISSUER_URL: 'http://login.example' },
      /^OIDC_ISSUER_URL: must be https/,
    ],
  ])('refuses %s: %s', (_setting, spoiled, message) => {
    const problems = problemsOf({ ...production, ...spoiled });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('maps the dashboard roles to API scopes, and names a scope it does not know', () => {
    expect(loadConfig({}).complianceDashboard.roles.get('auditor')).toEqual(['audit:read']);
    const roles = loadConfig({ DASHBOARD_ROLES: 'privacy-team=consent:read+operations' })
      .complianceDashboard.roles;
    expect([...roles]).toEqual([['privacy-team', ['consent:read', 'operations']]]);
    expect(() => loadConfig({ DASHBOARD_ROLES: 'x=consent:readd' })).toThrow(
      /unknown: consent:readd/,
    );
  });

  it('never echoes a value in its messages', () => {
    const secret = 'web/leaky-secret-value/consent:write';
    const problems = problemsOf({ ...production, API_KEYS: secret, HTTP_PORT: 'leaky-port' });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toContain('leaky');
  });
});
