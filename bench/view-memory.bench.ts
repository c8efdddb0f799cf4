/**
 * A decision view's memory per subject and purpose: consent.state.v1 filled with N subjects × P
 * purposes of real Avro records, then a ConsentView (what the decision API and every embedding
 * service hold) reads it; the heap after a full GC is measured at each step, against the heap of
 * the same process with an empty view (the baseline, measured in the same run).
 * `npm run bench -- view-memory [--subjects 1000000] [--purposes 2] [--steps 4]`
 * Runs node with --expose-gc (bench/run.sh passes the flag for this bench).
 */
import { parseArgs } from 'node:util';
import { ConsentView } from '@consent-ledger/client';
import {
  ACKS_ALL,
  AvroSerde,
  bootstrapKafka,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
  valueSubject,
} from '@consent-ledger/kafka';
import type { ConsentDecisionRecord } from '@consent-ledger/kafka';
import { createTestEnvironment } from '@consent-ledger/testing';
import { printTable, writeResults } from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    subjects: { type: 'string', default: '1000000' },
    purposes: { type: 'string', default: '2' },
    steps: { type: 'string', default: '4' },
  },
});
const SUBJECTS = Number(options.subjects);
const PURPOSES = [
  'marketing.email',
  'ml.training',
  'ads.targeted',
  'personalization.recommendations',
].slice(0, Number(options.purposes));
const STEPS = Number(options.steps);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench -- view-memory does)');
const heapMiB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** A state record as the projector publishes it, for subject `index`. */
function stateRecord(
  index: number,
  purpose: string,
  topic: string,
  offset: number,
): ConsentDecisionRecord {
  const allowed = index % 3 !== 0;
  return {
    subjectId: `subject-${index.toString().padStart(9, '0')}`,
    purpose,
    allowed,
    reason: allowed ? 'CONSENT_GRANTED' : 'CONSENT_WITHDRAWN',
    basis: 'consent',
    regime: 'OPT_IN',
    decidedBy: 'DE',
    causeEventId: `0193b6f0-${(index % 65536).toString(16).padStart(4, '0')}-7000-8000-${offset.toString(16).padStart(12, '0')}`,
    effectiveAt: new Date(1_780_000_000_000 + index),
    causeRecordedAt: new Date(1_780_000_000_000 + index),
    policyVersion: '2026-11-01',
    sourceTopic: topic,
    sourcePartition: index % 3,
    sourceOffset: offset,
  };
}

async function main(): Promise<void> {
  const environment = await createTestEnvironment();
  const { config } = environment;
  const kafka = createKafkaClient(config.kafka, 'bench-view-memory');
  const serde = AvroSerde.connect(config.schemaRegistry);
  const rows: Array<Record<string, string | number>> = [];
  try {
    await bootstrapKafka(config, kafka, serde);
    const topics = consentTopics(config.kafka.topicPrefix);
    const producer = createDurableProducer(kafka);
    await producer.connect();
    const subject = valueSubject(topics.state);
    const view = new ConsentView({ kafka, serde, stateTopic: topics.state });
    const baseline = heapMiB();
    rows.push({
      subjects: 0,
      'subject×purpose': 0,
      'heap (MiB)': baseline.toFixed(1),
      'bytes per subject×purpose': '-',
    });
    process.stderr.write(
      `baseline heap with the view's process ready: ${baseline.toFixed(1)} MiB\n`,
    );
    let written = 0;
    const step = Math.ceil(SUBJECTS / STEPS);
    let started = false;
    for (let upTo = step; written < SUBJECTS; upTo = Math.min(SUBJECTS, upTo + step)) {
      for (let from = written; from < upTo; from += 5_000) {
        const values = [];
        for (let index = from; index < Math.min(upTo, from + 5_000); index += 1)
          for (const purpose of PURPOSES)
            values.push(stateRecord(index, purpose, topics.events, index));
        const encoded = await serde.encodeAll(subject, values);
        await producer.send({
          topic: topics.state,
          acks: ACKS_ALL,
          messages: values.map((value, at) => ({
            key: `${value.subjectId}|${value.purpose}`,
            value: encoded[at]!,
          })),
        });
      }
      written = upTo;
      if (!started) {
        await view.start();
        started = true;
      }
      // The view has read everything once its lag is zero on every partition.
      for (;;) {
        const lag = [...view.lag().values()].reduce((sum, value) => sum + value, 0);
        if (
          lag === 0 &&
          view.decision(stateRecord(written - 1, PURPOSES[0]!, '', 0).subjectId, PURPOSES[0]!)
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const heap = heapMiB();
      const pairs = written * PURPOSES.length;
      rows.push({
        subjects: written,
        'subject×purpose': pairs,
        'heap (MiB)': heap.toFixed(1),
        'bytes per subject×purpose': Math.round(((heap - baseline) * 2 ** 20) / pairs),
      });
      process.stderr.write(`${written} subjects read: heap ${heap.toFixed(1)} MiB\n`);
    }
    await view.stop();
    await producer.disconnect();
  } finally {
    await environment.dispose();
  }
  printTable(rows);
  const file = writeResults('view-memory', { subjects: SUBJECTS, purposes: PURPOSES, rows });
  process.stdout.write(`results: ${file}\n`);
}

void main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
