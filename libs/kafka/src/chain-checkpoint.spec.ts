import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  checkpointMessages,
  checkpointProblem,
  latestCheckpoint,
  merkleRoot,
  signCheckpoint,
} from './chain-checkpoint';
import type { ChainHeadLeaf } from './chain-checkpoint';

const leaf = (index: number): ChainHeadLeaf => ({
  subjectId: `subject-${String(index).padStart(3, '0')}`,
  headHash: createHash('sha256').update(String(index)).digest('hex'),
});

/** RFC 6962 section 2.1, written as the RFC states it: split at the largest power of two below n. */
function rfc6962(leaves: readonly ChainHeadLeaf[]): Buffer {
  const hash = (...parts: Buffer[]) =>
    parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
  if (leaves.length === 0) return hash();
  if (leaves.length === 1)
    return hash(
      Buffer.from([0]),
      Buffer.from(JSON.stringify([leaves[0]!.subjectId, leaves[0]!.headHash])),
    );
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hash(Buffer.from([1]), rfc6962(leaves.slice(0, k)), rfc6962(leaves.slice(k)));
}

const key = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey };
};

const fields = {
  checkpointId: '0190a000-0000-7000-8000-000000000001',
  topic: 'consent.events.v1',
  createdAt: '2026-12-06T12:00:00.000Z',
  frontier: { '0': '12', '1': '7' },
};

describe('chain checkpoints', () => {
  it('hashes the heads as RFC 6962 does, for every tree size up to 40, whatever the order given', () => {
    for (let n = 0; n <= 40; n += 1) {
      const leaves = Array.from({ length: n }, (_, index) => leaf(index));
      expect(merkleRoot([...leaves].reverse())).toBe(rfc6962(leaves).toString('hex'));
    }
  });

  it('verifies a signed checkpoint against the trusted key, and names what was altered', () => {
    const signing = key();
    const leaves = [leaf(1), leaf(2), leaf(3)];
    const checkpoint = signCheckpoint(fields, leaves, signing);
    expect(checkpointProblem({ checkpoint, leaves }, signing.publicKey)).toBeUndefined();

    const altered = [leaf(1), { ...leaf(2), headHash: 'ab'.repeat(32) }, leaf(3)];
    expect(checkpointProblem({ checkpoint, leaves: altered }, signing.publicKey)).toMatch(
      /the leaves were altered/,
    );
    expect(checkpointProblem({ checkpoint, leaves: leaves.slice(1) }, signing.publicKey)).toMatch(
      /covers 3 subjects, but 2 leaves/,
    );
    const moved = { ...checkpoint, frontier: { '0': '13', '1': '7' } };
    expect(checkpointProblem({ checkpoint: moved, leaves }, signing.publicKey)).toMatch(
      /signature does not verify/,
    );
    expect(checkpointProblem({ checkpoint, leaves }, key().publicKey)).toMatch(
      /not with the trusted key/,
    );
  });

  it('is published as parts of leaves and the signed checkpoint, and read back whole', () => {
    const signing = key();
    const leaves = Array.from({ length: 7 }, (_, index) => leaf(index));
    const first = signCheckpoint(fields, leaves.slice(0, 2), signing);
    const second = signCheckpoint({ ...fields, checkpointId: 'second' }, leaves, signing);
    const messages = [
      ...checkpointMessages(first, leaves.slice(0, 2), 3),
      ...checkpointMessages(second, leaves, 3),
    ];
    expect(messages).toHaveLength(2 + 4);
    const read = latestCheckpoint(JSON.parse(JSON.stringify(messages)) as unknown[], fields.topic);
    expect(read?.checkpoint.checkpointId).toBe('second');
    expect(checkpointProblem(read!, signing.publicKey)).toBeUndefined();
    // A checkpoint whose leaves did not all arrive is not taken.
    const incomplete = messages.filter((_, index) => index !== 3);
    expect(latestCheckpoint(incomplete, fields.topic)?.checkpoint.checkpointId).toBe(
      first.checkpointId,
    );
    expect(latestCheckpoint(messages, 'other.topic')).toBeUndefined();
  });
});
