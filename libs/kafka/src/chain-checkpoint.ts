import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * A signed anchor of every subject's chain head, as the API recorded them: the Merkle root over
 * the heads (RFC 6962 tree hashing, leaves sorted by subject id in code-point order), and where
 * the events topic ended when it was taken (`frontier`: every event below it was written by a
 * transaction that had committed, or failed, before the heads were read). Signed with Ed25519.
 */
export interface ChainCheckpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly checkpointId: string;
  /** The events topic the heads are of. */
  readonly topic: string;
  readonly createdAt: string;
  /** Per partition, the offset after the last event the checkpoint covers. */
  readonly frontier: Readonly<Record<string, string>>;
  readonly subjectCount: number;
  /** Lowercase hex SHA-256. */
  readonly merkleRoot: string;
  /** The first 16 hex digits of the SHA-256 of the public key (SPKI, DER). */
  readonly keyId: string;
  /** Base64 Ed25519 signature over {@link signedText}. */
  readonly signature: string;
}

/** One subject's chain head: the hash of the last event the API wrote for it. */
export interface ChainHeadLeaf {
  readonly subjectId: string;
  readonly headHash: string;
}

/** A checkpoint with its leaves, as exported for safekeeping outside the system. */
export interface ExportedCheckpoint {
  readonly checkpoint: ChainCheckpoint;
  readonly leaves: readonly ChainHeadLeaf[];
}

export const CHECKPOINT_FORMAT = 'consent-ledger.chain-checkpoint/1';
export const CHECKPOINT_LEAVES_FORMAT = 'consent-ledger.chain-checkpoint-leaves/1';

/** A message of the checkpoints topic carrying part of a checkpoint's leaves. */
export interface CheckpointLeavesPart {
  readonly format: typeof CHECKPOINT_LEAVES_FORMAT;
  readonly checkpointId: string;
  readonly part: number;
  readonly parts: number;
  /** [subject id, head hash] pairs. */
  readonly leaves: ReadonlyArray<readonly [string, string]>;
}

const sha256 = (...parts: Buffer[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** Leaves in the order the tree takes them: by subject id, compared by code point. */
export function sortedLeaves(leaves: readonly ChainHeadLeaf[]): ChainHeadLeaf[] {
  return [...leaves].sort((a, b) =>
    a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0,
  );
}

/** The RFC 6962 Merkle tree hash of the leaves (sorted first), lowercase hex. */
export function merkleRoot(leaves: readonly ChainHeadLeaf[]): string {
  let level: Buffer[] = sortedLeaves(leaves).map((leaf) =>
    sha256(LEAF, Buffer.from(JSON.stringify([leaf.subjectId, leaf.headHash]), 'utf8')),
  );
  if (level.length === 0) return sha256().toString('hex');
  // Pairing left to right and carrying an odd node up gives the same root as RFC 6962's split
  // at the largest power of two below n.
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let index = 0; index + 1 < level.length; index += 2) {
      next.push(sha256(NODE, level[index]!, level[index + 1]!));
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!.toString('hex');
}

/** The text a checkpoint's signature covers: every field but the signature, in a fixed order. */
export function signedText(checkpoint: Omit<ChainCheckpoint, 'signature'>): string {
  const frontier = Object.fromEntries(
    Object.entries(checkpoint.frontier).sort(([a], [b]) => Number(a) - Number(b)),
  );
  return JSON.stringify([
    checkpoint.format,
    checkpoint.checkpointId,
    checkpoint.topic,
    checkpoint.createdAt,
    frontier,
    checkpoint.subjectCount,
    checkpoint.merkleRoot,
    checkpoint.keyId,
  ]);
}

/** The key id of a public key: the first 16 hex digits of the SHA-256 of its SPKI DER form. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' }))
    .toString('hex')
    .slice(0, 16);
}

/** A signing key from its PEM text (PKCS#8 Ed25519). */
export function signingKeyFrom(pem: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `the checkpoint signing key must be Ed25519, not ${privateKey.asymmetricKeyType}`,
    );
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Signs a checkpoint built from these leaves. */
export function signCheckpoint(
  fields: Pick<ChainCheckpoint, 'checkpointId' | 'topic' | 'createdAt' | 'frontier'>,
  leaves: readonly ChainHeadLeaf[],
  key: { privateKey: KeyObject; publicKey: KeyObject },
): ChainCheckpoint {
  const unsigned = {
    format: CHECKPOINT_FORMAT,
    ...fields,
    subjectCount: leaves.length,
    merkleRoot: merkleRoot(leaves),
    keyId: keyIdOf(key.publicKey),
  } as const;
  const signature = sign(null, Buffer.from(signedText(unsigned), 'utf8'), key.privateKey);
  return { ...unsigned, signature: signature.toString('base64') };
}

/**
 * What is wrong with a checkpoint and its leaves, if anything: a signature that the trusted
 * public key does not verify, or leaves whose root is not the signed one.
 */
export function checkpointProblem(
  exported: ExportedCheckpoint,
  trustedKey: KeyObject,
): string | undefined {
  const { checkpoint, leaves } = exported;
  const { signature, ...unsigned } = checkpoint;
  if (checkpoint.keyId !== keyIdOf(trustedKey))
    return `signed with key ${checkpoint.keyId}, not with the trusted key ${keyIdOf(trustedKey)}`;
  const valid = verify(
    null,
    Buffer.from(signedText(unsigned), 'utf8'),
    trustedKey,
    Buffer.from(signature, 'base64'),
  );
  if (!valid) return 'the signature does not verify: the checkpoint was altered';
  if (leaves.length !== checkpoint.subjectCount)
    return `it covers ${checkpoint.subjectCount} subjects, but ${leaves.length} leaves came with it`;
  const root = merkleRoot(leaves);
  if (root !== checkpoint.merkleRoot)
    return `its leaves hash to ${root.slice(0, 12)}…, not to the signed root ${checkpoint.merkleRoot.slice(0, 12)}…: the leaves were altered`;
  return undefined;
}

/** The messages a checkpoint is published as: its leaves in parts, then the signed checkpoint. */
export function checkpointMessages(
  checkpoint: ChainCheckpoint,
  leaves: readonly ChainHeadLeaf[],
  leavesPerPart: number,
): Array<CheckpointLeavesPart | ChainCheckpoint> {
  const sorted = sortedLeaves(leaves);
  const parts = Math.max(1, Math.ceil(sorted.length / leavesPerPart));
  const messages: Array<CheckpointLeavesPart | ChainCheckpoint> = [];
  for (let part = 0; part < parts; part += 1) {
    messages.push({
      format: CHECKPOINT_LEAVES_FORMAT,
      checkpointId: checkpoint.checkpointId,
      part,
      parts,
      leaves: sorted
        .slice(part * leavesPerPart, (part + 1) * leavesPerPart)
        .map((leaf) => [leaf.subjectId, leaf.headHash] as const),
    });
  }
  messages.push(checkpoint);
  return messages;
}

/**
 * Gathers checkpoints from the messages of the checkpoints topic in order; returns the last
 * complete one of `topic` (its signed message and every part of its leaves), if any.
 */
export function latestCheckpoint(
  values: Iterable<unknown>,
  topic: string,
): ExportedCheckpoint | undefined {
  const parts = new Map<string, Map<number, CheckpointLeavesPart>>();
  let latest: ExportedCheckpoint | undefined;
  for (const value of values) {
    const message = value as { format?: string; topic?: string };
    if (message.format === CHECKPOINT_LEAVES_FORMAT) {
      const part = message as CheckpointLeavesPart;
      const known = parts.get(part.checkpointId) ?? new Map<number, CheckpointLeavesPart>();
      known.set(part.part, part);
      parts.set(part.checkpointId, known);
    } else if (message.format === CHECKPOINT_FORMAT && message.topic === topic) {
      const checkpoint = message as ChainCheckpoint;
      const known = parts.get(checkpoint.checkpointId);
      const first = known?.get(0);
      if (!known || !first || known.size !== first.parts) continue;
      const leaves = [...known.values()]
        .sort((a, b) => a.part - b.part)
        .flatMap((part) => part.leaves.map(([subjectId, headHash]) => ({ subjectId, headHash })));
      latest = { checkpoint, leaves };
      parts.delete(checkpoint.checkpointId);
    }
  }
  return latest;
}
