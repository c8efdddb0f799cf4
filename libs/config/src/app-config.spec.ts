import { ConfigError, loadConfig } from './app-config';

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
      /KAFKA_BROKERS: each entry must be host:port \(got 'not a broker'\)/,
    ],
    ['HTTP_PORT', { HTTP_PORT: '70000' }, /HTTP_PORT: .*\(got '70000'\)/],
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
