import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChainCheckpointSettings } from '@consent-ledger/config';
import type { ChainVerifier } from '@consent-ledger/consent-domain';
import {
  checkpointProblem,
  latestCheckpoint,
  type ExportedCheckpoint,
} from '@consent-ledger/kafka';
import type { Kafka } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';

/** How long reading the checkpoints topic may take. */
const READ_DEADLINE_MS = 60_000;

/**
 * The last complete checkpoint of `eventsTopic` on the checkpoints topic, read from its beginning
 * to where it ends now; undefined when none was taken.
 */
export async function readLatestCheckpoint(
  kafka: Kafka,
  checkpointsTopic: string,
  eventsTopic: string,
): Promise<ExportedCheckpoint | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  let end: bigint;
  try {
    if (!(await admin.listTopics()).includes(checkpointsTopic)) return undefined;
    const [partition] = await admin.fetchTopicOffsets(checkpointsTopic);
    end = BigInt(partition?.high ?? '0');
    if (end === BigInt(partition?.low ?? '0')) return undefined;
  } finally {
    await admin.disconnect();
  }
  const values: unknown[] = [];
  const consumer = kafka.consumer({ groupId: `auditor-checkpoints-${uuidv4()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: checkpointsTopic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${checkpointsTopic} not read to its end within ${READ_DEADLINE_MS} ms`),
          ),
        READ_DEADLINE_MS,
      );
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (message.value) values.push(JSON.parse(message.value.toString('utf8')));
          if (BigInt(message.offset) + 1n >= end) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return latestCheckpoint(values, eventsTopic);
}

/** The public key checkpoints are verified with (CHAIN_CHECKPOINT_PUBLIC_KEY_FILE). */
function trustedCheckpointKey(settings: ChainCheckpointSettings): KeyObject | string {
  try {
    return createPublicKey(readFileSync(settings.publicKeyFile, 'utf8'));
  } catch (error) {
    return `no trusted public key could be read from CHAIN_CHECKPOINT_PUBLIC_KEY_FILE (${(error as Error).message.split(',')[0]})`;
  }
}

/**
 * The log (as `chains` read it) measured against a checkpoint, whose signature and leaves are
 * checked with the trusted key first: a checkpoint that is not what was signed proves nothing,
 * and is itself the finding.
 */
export function measureAgainstCheckpoint(
  exported: ExportedCheckpoint,
  chains: ChainVerifier,
  settings: ChainCheckpointSettings,
): Array<{
  kind: 'CHECKPOINT_INVALID' | 'CHECKPOINT_HEAD_MISSING' | 'CHECKPOINT_UNRECORDED';
  subjectId: string | null;
  eventId: string | null;
  partition: number | null;
  offset: string | null;
  detail: string;
}> {
  const key = trustedCheckpointKey(settings);
  const problem = typeof key === 'string' ? key : checkpointProblem(exported, key);
  if (problem)
    return [
      {
        kind: 'CHECKPOINT_INVALID',
        subjectId: null,
        eventId: null,
        partition: null,
        offset: null,
        detail: `checkpoint ${exported.checkpoint.checkpointId} of ${exported.checkpoint.createdAt}: ${problem}`,
      },
    ];
  return chains.checkpointFindings(exported.leaves, exported.checkpoint.frontier);
}
