import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { KafkaConfig, logCreator, SASLOptions } from 'kafkajs';
import type { KafkaSettings } from '@consent-ledger/config';
import { BROKER_RETRY } from './retry-policies';

const levelNames: Record<number, string> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs logs as one JSON line each, like the rest of the system. */
const jsonLogCreator: logCreator =
  () =>
  ({ namespace, level, log }) => {
    const { message, timestamp, ...extra } = log;
    process.stderr.write(
      `${JSON.stringify({ time: timestamp, level: levelNames[level] ?? level, component: `kafkajs.${namespace}`, msg: message, ...extra })}\n`,
    );
  };

/** Builds the kafkajs connection settings (brokers, TLS, SASL) from validated configuration. */
export function kafkaClientConfig(settings: KafkaSettings, clientIdSuffix?: string): KafkaConfig {
  return {
    clientId: clientIdSuffix ? `${settings.clientId}-${clientIdSuffix}` : settings.clientId,
    brokers: [...settings.brokers],
    ssl: settings.ssl === false ? false : { ...settings.ssl },
    ...(settings.sasl ? { sasl: { ...settings.sasl } as SASLOptions } : {}),
    retry: BROKER_RETRY,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    logLevel: KafkaLogLevel.WARN,
    logCreator: jsonLogCreator,
  };
}

/** A kafkajs client for the configured cluster. */
export function createKafkaClient(settings: KafkaSettings, clientIdSuffix?: string): Kafka {
  return new Kafka(kafkaClientConfig(settings, clientIdSuffix));
}
