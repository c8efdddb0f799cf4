import { gunzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import type { AbortedTransaction } from './fetch-protocol';

/**
 * Walks the records of a fetched partition (record batches, message format v2) one at a time
 * without building an object per record: after `next()` returns true, the cursor's fields describe
 * the current record and its key and value are byte ranges of `buffer`. As a read-committed
 * consumer does, it leaves out control batches and the batches of aborted transactions. Each
 * batch's CRC-32C is checked before it is read; a corrupt batch, or one compressed with a codec
 * it cannot read, throws a RecordBatchError naming the batch's offset. Pure.
 */
export class RecordBatchCursor {
  /** The bytes the current record's key and value are in (a decompressed batch has its own). */
  buffer: Buffer;
  offset = -1;
  timestamp = -1;
  keyStart = 0;
  /** -1 for a null key. */
  keyLength = -1;
  valueStart = 0;
  /** -1 for a null value (a tombstone). */
  valueLength = -1;

  private readonly source: Buffer;
  private batchAt: number;
  private readonly end: number;
  /** Position of the next record in `buffer`, and how many records of the batch are left. */
  private at = 0;
  private left = 0;
  private baseOffset = 0;
  private baseTimestamp = 0;
  private readonly aborted: AbortedTransaction[];
  private readonly abortedProducers = new Set<bigint>();

  constructor(
    buffer: Buffer,
    start: number,
    end: number,
    abortedTransactions: readonly AbortedTransaction[] = [],
  ) {
    this.source = buffer;
    this.buffer = buffer;
    this.batchAt = start;
    this.end = end;
    this.aborted = [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** The current record's key as text; undefined for a null key. */
  keyText(): string | undefined {
    return this.keyLength < 0
      ? undefined
      : this.buffer.toString('utf8', this.keyStart, this.keyStart + this.keyLength);
  }

  /** Moves to the next record; false when the fetched bytes hold no further complete record. */
  next(): boolean {
    while (this.left === 0) if (!this.openBatch()) return false;
    this.readRecord();
    this.left -= 1;
    return true;
  }

  /** Reads the record at `at` into the cursor's fields and moves past it. */
  private readRecord(): void {
    const length = this.varint();
    const recordEnd = this.at + length;
    this.at += 1; // attributes (unused)
    this.timestamp = this.baseTimestamp + this.varlong();
    this.offset = this.baseOffset + this.varint();
    this.keyLength = this.varint();
    this.keyStart = this.at;
    if (this.keyLength > 0) this.at += this.keyLength;
    this.valueLength = this.varint();
    this.valueStart = this.at;
    if (
      recordEnd > this.buffer.length ||
      this.valueStart + Math.max(0, this.valueLength) > recordEnd
    )
      throw new RecordBatchError(this.offset, 'record runs past its batch');
    this.at = recordEnd; // headers are not read
  }

  /** Enters the next batch with records to hand out; false at the end of the complete batches. */
  private openBatch(): boolean {
    const source = this.source;
    const at = this.batchAt;
    if (at + 12 > this.end) return false;
    const batchEnd = at + 12 + source.readInt32BE(at + 8);
    if (batchEnd > this.end || at + BATCH_HEADER_BYTES > this.end) return false; // cut short by max bytes
    this.batchAt = batchEnd;
    const baseOffset = Number(source.readBigInt64BE(at));
    const magic = source.readInt8(at + 16);
    if (magic !== 2)
      throw new RecordBatchError(
        baseOffset,
        `message format v${magic} is not read (only v2, written since Kafka 0.11)`,
      );
    // An audit must notice a corrupted batch, not only a tampered event: the CRC-32C covers
    // everything from the attributes to the end of the batch.
    const stored = source.readUInt32BE(at + 17);
    const computed = crc32c(source, at + 21, batchEnd);
    if (stored !== computed)
      throw new RecordBatchError(
        baseOffset,
        `its CRC-32C does not match its bytes (stored ${hex(stored)}, computed ${hex(computed)}): the batch is corrupt`,
      );
    const attributes = source.readInt16BE(at + 21);
    const lastOffset = baseOffset + source.readInt32BE(at + 23);
    const producerId = source.readBigInt64BE(at + 43);
    const transactional = (attributes & 0x10) !== 0;
    const control = (attributes & 0x20) !== 0;
    if (transactional) {
      while (this.aborted.length > 0 && this.aborted[0]!.firstOffset <= lastOffset)
        this.abortedProducers.add(this.aborted.shift()!.producerId);
      if (!control && this.abortedProducers.has(producerId)) return true;
    }
    const compression = attributes & 0x07;
    this.baseOffset = baseOffset;
    this.baseTimestamp = Number(source.readBigInt64BE(at + 27));
    this.left = source.readInt32BE(at + 57);
    if (compression === 0) {
      this.buffer = source;
      this.at = at + BATCH_HEADER_BYTES;
    } else {
      this.buffer = decompress(
        compression,
        source.subarray(at + BATCH_HEADER_BYTES, batchEnd),
        baseOffset,
      );
      this.at = 0;
    }
    if (control) {
      // A transaction marker: its one record's key is a version (int16), then a type (0 = abort).
      if (transactional && this.left > 0) {
        this.readRecord();
        if (this.keyLength >= 4 && this.buffer.readInt16BE(this.keyStart + 2) === 0)
          this.abortedProducers.delete(producerId);
      }
      this.left = 0;
    }
    return true;
  }

  /** A zig-zag varint of up to 32 bits. */
  private varint(): number {
    const buffer = this.buffer;
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = buffer[this.at++]!;
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    return (value >>> 1) ^ -(value & 1);
  }

  /** A zig-zag varint of up to 64 bits, exact below 2^53. */
  private varlong(): number {
    const buffer = this.buffer;
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = buffer[this.at++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80 && scale < 2 ** 70);
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
}

/** Bytes of a v2 batch before its records. */
const BATCH_HEADER_BYTES = 61;

/** A batch that cannot be read: its offset, and why. */
export class RecordBatchError extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(`record batch at offset ${offset}: ${reason}`);
  }
}

const codecNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const hex = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

function decompress(codec: number, bytes: Buffer, offset: number): Buffer {
  if (codec === 1) return gunzipSync(bytes);
  throw new RecordBatchError(
    offset,
    `${codecNames[codec] ?? `codec ${codec}`} compression is not read (uncompressed and gzip are)`,
  );
}

/**
 * The offset after the last complete batch in a partition's fetched bytes, or null when they hold
 * none: where the next fetch of the partition starts. Reads only the batches' headers, so the next
 * fetch can be sent before the records are decoded.
 */
export function offsetAfterBatches(buffer: Buffer, start: number, end: number): number | null {
  let next: number | null = null;
  for (let at = start; at + BATCH_HEADER_BYTES <= end;) {
    const batchEnd = at + 12 + buffer.readInt32BE(at + 8);
    if (batchEnd > end) break;
    next = Number(buffer.readBigInt64BE(at)) + buffer.readInt32BE(at + 23) + 1;
    at = batchEnd;
  }
  return next;
}
