import { gzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import { offsetAfterBatches, RecordBatchCursor, RecordBatchError } from './record-batch-cursor';

// Batches are built with kafkajs's own encoder (an implementation independent of the cursor).
/* eslint-disable @typescript-eslint/no-require-imports */
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  record: Record<string, unknown>,
) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(value: number): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

interface TestRecord {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

async function batch(
  firstOffset: number,
  records: readonly TestRecord[],
  options: { producerId?: number; transactional?: boolean; firstTimestamp?: number } = {},
): Promise<Buffer> {
  const firstTimestamp = options.firstTimestamp ?? 1_700_000_000_000;
  const { buffer } = await RecordBatch({
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp + records.length,
    lastOffsetDelta: records.length - 1,
    transactional: options.transactional ?? false,
    producerId: Long.fromValue(options.producerId ?? -1),
    records: records.map((record, index) =>
      Record({
        offsetDelta: index,
        timestampDelta: index,
        key: record.key === null ? null : Buffer.from(record.key),
        value: record.value === null ? null : Buffer.from(record.value),
        headers: record.headers ?? {},
      }),
    ),
  });
  return buffer;
}

/** The batch with its CRC-32C computed again after a test changed its bytes on purpose. */
function resealed(buffer: Buffer): Buffer {
  buffer.writeUInt32BE(crc32c(buffer, 21, buffer.length), 17);
  return buffer;
}

/** A transaction marker: a control batch whose one record's key says abort (0) or commit (1). */
async function marker(offset: number, producerId: number, type: 0 | 1): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const withKey = await RecordBatch({
    firstOffset: Long.fromValue(offset),
    lastOffsetDelta: 0,
    transactional: true,
    producerId: Long.fromValue(producerId),
    records: [Record({ offsetDelta: 0, key, value: Buffer.alloc(6) })],
  });
  withKey.buffer.writeInt16BE(withKey.buffer.readInt16BE(21) | 0x20, 21); // control batch
  return resealed(withKey.buffer);
}

function readAll(cursor: RecordBatchCursor) {
  const records = [];
  while (cursor.next()) {
    records.push({
      offset: cursor.offset,
      timestamp: cursor.timestamp,
      key: cursor.keyText() ?? null,
      value:
        cursor.valueLength < 0
          ? null
          : cursor.buffer.toString(
              'utf8',
              cursor.valueStart,
              cursor.valueStart + cursor.valueLength,
            ),
    });
  }
  return records;
}

describe('RecordBatchCursor', () => {
  it('walks each record of each batch in place: offset, timestamp, key, value (nulls too)', async () => {
    const bytes = Buffer.concat([
      await batch(10, [
        { key: 'subject-1', value: 'first', headers: { trace: 'abc' } },
        { key: null, value: 'no key' },
        { key: 'subject-2', value: null },
      ]),
      await batch(13, [{ key: 'subject-3', value: 'ünïcode' }], {
        firstTimestamp: 1_800_000_000_000,
      }),
    ]);
    // Embedded in a larger buffer, as records sit in a fetch response.
    const response = Buffer.concat([Buffer.from('head'), bytes, Buffer.from('tail')]);
    const cursor = new RecordBatchCursor(response, 4, 4 + bytes.length);
    expect(readAll(cursor)).toEqual([
      { offset: 10, timestamp: 1_700_000_000_000, key: 'subject-1', value: 'first' },
      { offset: 11, timestamp: 1_700_000_000_001, key: null, value: 'no key' },
      { offset: 12, timestamp: 1_700_000_000_002, key: 'subject-2', value: null },
      { offset: 13, timestamp: 1_800_000_000_000, key: 'subject-3', value: 'ünïcode' },
    ]);
    expect(offsetAfterBatches(response, 4, 4 + bytes.length)).toBe(14);
  });

  it('stops before a batch the fetch cut short, and says where the next fetch starts', async () => {
    const whole = await batch(0, [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    const cut = (await batch(2, [{ key: 'c', value: '3' }])).subarray(0, 30);
    const bytes = Buffer.concat([whole, cut]);
    expect(readAll(new RecordBatchCursor(bytes, 0, bytes.length)).map((r) => r.offset)).toEqual([
      0, 1,
    ]);
    expect(offsetAfterBatches(bytes, 0, bytes.length)).toBe(2);
    expect(offsetAfterBatches(cut, 0, cut.length)).toBeNull();
  });

  it('reads gzip-compressed batches', async () => {
    const plain = await batch(5, [
      { key: 'x', value: 'one' },
      { key: 'y', value: 'two' },
    ]);
    // Recompress the records section (after the 61-byte header) and mark the batch gzip.
    const records = plain.subarray(61);
    const compressed = gzipSync(records);
    const header = Buffer.from(plain.subarray(0, 61));
    header.writeInt32BE(61 - 12 + compressed.length, 8);
    header.writeInt16BE(header.readInt16BE(21) | 0x01, 21);
    const bytes = resealed(Buffer.concat([header, compressed]));
    expect(readAll(new RecordBatchCursor(bytes, 0, bytes.length))).toMatchObject([
      { offset: 5, key: 'x', value: 'one' },
      { offset: 6, key: 'y', value: 'two' },
    ]);
  });

  it('leaves out control batches and the records of aborted transactions, as read-committed', async () => {
    const bytes = Buffer.concat([
      await batch(
        0,
        [
          { key: 'k', value: 'aborted-1' },
          { key: 'k', value: 'aborted-2' },
        ],
        {
          producerId: 7,
          transactional: true,
        },
      ),
      await marker(2, 7, 0),
      await batch(3, [{ key: 'k', value: 'committed' }], { producerId: 8, transactional: true }),
      await marker(4, 8, 1),
      await batch(5, [{ key: 'k', value: 'plain' }]),
      // The aborted producer's next transaction, committed: read.
      await batch(6, [{ key: 'k', value: 'committed-later' }], {
        producerId: 7,
        transactional: true,
      }),
      await marker(7, 7, 1),
    ]);
    const values = (aborted: Array<{ producerId: bigint; firstOffset: number }>) =>
      readAll(new RecordBatchCursor(bytes, 0, bytes.length, aborted)).map((r) => r.value);
    expect(values([{ producerId: 7n, firstOffset: 0 }])).toEqual([
      'committed',
      'plain',
      'committed-later',
    ]);
    // Without the broker's list of aborted transactions every data record is read.
    expect(values([])).toEqual(['aborted-1', 'aborted-2', 'committed', 'plain', 'committed-later']);
    expect(offsetAfterBatches(bytes, 0, bytes.length)).toBe(8);
  });

  it('refuses what it cannot read, naming the batch: old message formats, other codecs', async () => {
    const v1 = Buffer.from(await batch(40, [{ key: 'k', value: 'v' }]));
    v1.writeInt8(1, 16);
    expect(() => new RecordBatchCursor(v1, 0, v1.length).next()).toThrow(
      new RecordBatchError(40, 'message format v1 is not read (only v2, written since Kafka 0.11)'),
    );
    const zstd = Buffer.from(await batch(41, [{ key: 'k', value: 'v' }]));
    zstd.writeInt16BE(zstd.readInt16BE(21) | 0x04, 21);
    resealed(zstd);
    expect(() => new RecordBatchCursor(zstd, 0, zstd.length).next()).toThrow(
      /offset 41: zstd compression is not read/,
    );
  });

  it('refuses a batch whose bytes do not match its CRC-32C, naming its offset', async () => {
    // Given a batch with one bit of a record's value flipped after it was written
    const good = await batch(50, [{ key: 'k', value: 'granted' }]);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 3] ^= 0x01;
    // When it is read, then it is refused as corrupt, not handed out with a changed value
    expect(() => new RecordBatchCursor(corrupt, 0, corrupt.length).next()).toThrow(
      /record batch at offset 50: its CRC-32C does not match its bytes \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): the batch is corrupt/,
    );
    expect(readAll(new RecordBatchCursor(good, 0, good.length))).toHaveLength(1);
  });
});
