import { Kafka, logLevel } from 'kafkajs';
import { Type } from 'avsc';
import { readFileSync } from 'node:fs';
const topic = process.argv[2]!;
const mode = process.argv[3] ?? 'raw';
const kafka = new Kafka({ brokers: ['127.0.0.1:9092'], clientId: 'kb', logLevel: logLevel.NOTHING });
(async () => {
  const admin = kafka.admin(); await admin.connect();
  const offs = await admin.fetchTopicOffsets(topic); await admin.disconnect();
  const total = offs.reduce((s, o) => s + Number(o.high), 0);
  const c = kafka.consumer({ groupId: 'kb-' + Math.random(), maxBytesPerPartition: 16 << 20, maxBytes: 64 << 20, maxWaitTimeInMs: 100 });
  await c.connect(); await c.subscribe({ topic, fromBeginning: true });
  let n = 0, first = 0, bytes = 0;
  const schema = JSON.parse(readFileSync('schemas/consent-event/v1.avsc', 'utf8'));
  const t = Type.forSchema(schema);
  await new Promise<void>((resolve) => {
    c.run({ autoCommit: false, partitionsConsumedConcurrently: 6, eachBatch: async ({ batch }) => {
      if (!first) first = Date.now();
      for (const m of batch.messages) { bytes += m.value!.length; if (mode === 'decode') t.fromBuffer(m.value!.subarray(5)); }
      n += batch.messages.length;
      if (n >= total) resolve();
    }});
  });
  const ms = Date.now() - first;
  console.log(mode, n, 'msgs', ms, 'ms', Math.round(n / ms * 1000), 'msg/s', Math.round(bytes / n), 'B/msg');
  await c.disconnect();
})();
