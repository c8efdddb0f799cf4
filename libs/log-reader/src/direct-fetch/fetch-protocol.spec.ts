import {
  decodeFetchResponse,
  encodeFetchRequest,
  FETCH_API_KEY,
  FETCH_API_VERSION,
  FetchProtocolError,
  READ_COMMITTED,
} from './fetch-protocol';

/** Big-endian fields written one after another, as the protocol lays them out. */
class Bytes {
  private readonly parts: Buffer[] = [];
  int8(value: number) {
    const b = Buffer.alloc(1);
    b.writeInt8(value);
    return this.push(b);
  }
  int16(value: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    return this.push(b);
  }
  int32(value: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return this.push(b);
  }
  int64(value: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    return this.push(b);
  }
  string(value: string) {
    return this.int16(Buffer.byteLength(value)).push(Buffer.from(value));
  }
  push(buffer: Buffer) {
    this.parts.push(buffer);
    return this;
  }
  get buffer() {
    return Buffer.concat(this.parts);
  }
}

describe('Fetch v4', () => {
  it('encodes a read-committed request for the given partitions and offsets', () => {
    const frame = encodeFetchRequest(
      {
        topic: 'consent.events.v1',
        partitions: [
          { partition: 0, offset: 0, maxBytes: 1024 },
          { partition: 5, offset: 2 ** 40, maxBytes: 2048 },
        ],
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 4096,
      },
      42,
      'auditor',
    );
    const expected = new Bytes()
      .int16(FETCH_API_KEY)
      .int16(FETCH_API_VERSION)
      .int32(42)
      .string('auditor')
      .int32(-1)
      .int32(500)
      .int32(1)
      .int32(4096)
      .int8(READ_COMMITTED)
      .int32(1)
      .string('consent.events.v1')
      .int32(2)
      .int32(0)
      .int64(0n)
      .int32(1024)
      .int32(5)
      .int64(2n ** 40n)
      .int32(2048).buffer;
    expect(frame.readInt32BE(0)).toBe(expected.length);
    expect(frame.subarray(4)).toEqual(expected);
  });

  it('decodes a response: errors, watermarks, aborted transactions and where each partition’s records lie', () => {
    const records = Buffer.from('record-batches');
    const body = new Bytes()
      .int32(42) // correlation id
      .int32(0) // throttle
      .int32(1)
      .string('consent.events.v1')
      .int32(2)
      // partition 3: records and one aborted transaction
      .int32(3)
      .int16(0)
      .int64(120n)
      .int64(118n)
      .int32(1)
      .int64(9n)
      .int64(100n)
      .int32(records.length)
      .push(records)
      // partition 4: not the leader any more, no records
      .int32(4)
      .int16(6)
      .int64(-1n)
      .int64(-1n)
      .int32(-1)
      .int32(-1).buffer;
    const response = decodeFetchResponse(body);
    expect(response.correlationId).toBe(42);
    const [three, four] = response.partitions;
    expect(three).toMatchObject({
      topic: 'consent.events.v1',
      partition: 3,
      errorCode: 0,
      highWatermark: 120,
      lastStableOffset: 118,
      abortedTransactions: [{ producerId: 9n, firstOffset: 100 }],
    });
    expect(body.toString('utf8', three!.recordsStart, three!.recordsEnd)).toBe('record-batches');
    expect(four).toMatchObject({ partition: 4, errorCode: 6, abortedTransactions: [] });
    expect(four!.recordsEnd - four!.recordsStart).toBe(0);
  });

  it('refuses a response cut short instead of reading past it', () => {
    const body = new Bytes()
      .int32(1)
      .int32(0)
      .int32(1)
      .string('t')
      .int32(1)
      .int32(0)
      .int16(0).buffer;
    expect(() => decodeFetchResponse(body)).toThrow(FetchProtocolError);
  });
});
