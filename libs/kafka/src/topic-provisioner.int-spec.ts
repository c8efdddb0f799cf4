import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@consent-ledger/config';
import { uniqueName } from '@consent-ledger/testing';
import { ConfigResourceTypes } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { createKafkaClient } from './kafka-client.factory';
import { readTopicDefinitions } from './topic-definitions';
import { applyTopics } from './topic-provisioner';

function topicFile(
  events: string,
  state: string,
  eventsPartitions: number,
  retention: string,
): string {
  const path = join(mkdtempSync(join(tmpdir(), 'topics-')), 'topics.yaml');
  writeFileSync(
    path,
    `defaults: { replicationFactor: 3, minInsyncReplicas: 2 }
topics:
  - name: ${events}
    partitions: ${eventsPartitions}
    config: { cleanup.policy: delete, retention.ms: "${retention}" }
  - name: ${state}
    partitions: 2
    config: { cleanup.policy: compact }
`,
  );
  return path;
}

async function topicConfig(admin: Admin, topic: string): Promise<Map<string, string>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
  });
  return new Map(resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue]));
}

describe('topic provisioning against the real broker', () => {
  const config = loadConfig();
  const admin = createKafkaClient(config.kafka, 'topics-int-spec').admin();
  const events = uniqueName('test.events');
  const state = uniqueName('test.state');

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.deleteTopics({ topics: [events, state] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('fails with advice when the cluster has fewer brokers than the replication factor', async () => {
    const definitions = readTopicDefinitions(topicFile(events, state, 3, '-1'));
    await expect(applyTopics(admin, definitions)).rejects.toThrow(/KAFKA_REPLICATION_FACTOR=1/);
  });

  it('creates, then leaves alone, then corrects drift and adds partitions', async () => {
    const first = readTopicDefinitions(topicFile(events, state, 3, '-1'), 1);
    expect(await applyTopics(admin, first)).toMatchObject({ created: [events, state] });

    const eventsConfig = await topicConfig(admin, events);
    expect(eventsConfig.get('retention.ms')).toBe('-1');
    expect(eventsConfig.get('min.insync.replicas')).toBe('1');
    expect((await topicConfig(admin, state)).get('cleanup.policy')).toBe('compact');

    expect(await applyTopics(admin, first)).toMatchObject({
      created: [],
      unchanged: [events, state],
    });

    const second = readTopicDefinitions(topicFile(events, state, 4, '604800000'), 1);
    const changes = await applyTopics(admin, second);
    expect(changes).toMatchObject({
      partitionsAdded: [events],
      reconfigured: [events],
      unchanged: [state],
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [events] });
    expect(metadata.topics[0]!.partitions).toHaveLength(4);
    expect((await topicConfig(admin, events)).get('retention.ms')).toBe('604800000');
  });
});
