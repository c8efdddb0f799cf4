import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChainCheckpointSettings } from '@consent-ledger/config';
import type { ChainVerifier } from '@consent-ledger/consent-domain';
import { checkpointProblem } from '@consent-ledger/kafka';
import type { ExportedCheckpoint } from '@consent-ledger/kafka';

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
