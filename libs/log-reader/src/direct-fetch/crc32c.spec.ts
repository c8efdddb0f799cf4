import { randomBytes } from 'node:crypto';
import { crc32c } from './crc32c';

// kafkajs's own CRC-32C, an implementation independent of ours.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

describe('crc32c', () => {
  it('gives the check value of the standard (RFC 3720) for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('gives the RFC 3720 test vector for 32 bytes of zeros', () => {
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });

  it('agrees with kafkajs on random bytes of every length up to 300, and on a range of a buffer', () => {
    for (let length = 0; length <= 300; length += 1) {
      const bytes = randomBytes(length);
      expect(crc32c(bytes)).toBe(kafkajsCrc32c(bytes) >>> 0);
    }
    const bytes = randomBytes(1000);
    expect(crc32c(bytes, 100, 900)).toBe(kafkajsCrc32c(bytes.subarray(100, 900)) >>> 0);
  });
});
