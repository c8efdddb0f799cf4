import { loadConfig } from '@consent-ledger/config';
import { AvroSerde } from './avro-serde';
import { bootstrapKafka } from './kafka-bootstrap';
import { createKafkaClient } from './kafka-client.factory';

/** `npm run topics:apply`: applies deploy/topics.yaml and registers the schemas it names. */
async function main(): Promise<void> {
  const config = loadConfig();
  const result = await bootstrapKafka(
    config,
    createKafkaClient(config.kafka, 'topics'),
    AvroSerde.connect(config.schemaRegistry),
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `topics:apply failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
