import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonRetriableError } from '@consent-ledger/kafka';
import { callVendor } from './vendor-http';

const BODY_BYTES = 256 * 1024 * 1024;

/** A vendor on loopback that refuses every call with a body of 256 MiB, sent in 1 MiB pieces. */
function startVerboseVendor(): Promise<Server> {
  const piece = Buffer.alloc(1024 * 1024, 'x');
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(400, { 'content-type': 'text/plain' });
      let sent = 0;
      const more = () => {
        while (sent < BODY_BYTES) {
          sent += piece.length;
          if (!response.write(piece)) return void response.once('drain', more);
        }
        response.end();
      };
      more();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('a vendor call (against a local HTTP server)', () => {
  let server: Server;

  beforeAll(async () => {
    server = await startVerboseVendor();
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps only the start of an answer of any size, and quotes 300 characters of it', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/contacts`;
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 5);
    let failure: unknown;
    try {
      await callVendor('verbose', url, { method: 'POST', headers: {}, body: '{}' }, 60_000);
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(sampler);
    }
    expect(failure).toBeInstanceOf(NonRetriableError);
    expect((failure as Error).message.length).toBeLessThan(400);
    // Holding the answer would take 256 MiB (twice, while it is joined).
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
