import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake vendor received. */
export interface VendorRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
  readonly status: number;
  /** When the vendor answered (ms since the epoch): when an applied request took effect. */
  readonly answeredAt: number;
}

/**
 * What the test wants answered to a request (default 2xx), optionally after `delayMs` (a slow
 * vendor: the request is recorded and applied when it answers, even if the caller has gone).
 */
export type VendorScript = (
  request: Omit<VendorRequest, 'status' | 'answeredAt'>,
) => { status?: number; headers?: Record<string, string>; delayMs?: number } | undefined;

/**
 * A vendor API stood in for by a small HTTP server on loopback: it records every request and
 * applies each idempotency key once, as a real vendor that honours Idempotency-Key does.
 */
export interface FakeVendor {
  readonly url: string;
  readonly requests: VendorRequest[];
  /** Applied requests by idempotency key (first successful request only). */
  readonly applied: Map<string, VendorRequest>;
  script(next: VendorScript): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

/** The external ids a Braze-shaped request carries (`external_id`, one or more). */
export const externalIds = (request: Pick<VendorRequest, 'body'>): string[] =>
  (request.body.external_id as string[] | undefined) ?? [];

export async function startFakeVendor(successStatus = 200): Promise<FakeVendor> {
  const requests: VendorRequest[] = [];
  const applied = new Map<string, VendorRequest>();
  let scripted: VendorScript = () => undefined;
  const server: Server = createServer(async (request, response) => {
    const text = await readBody(request);
    const base = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      authorization: request.headers.authorization,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
    const scriptedAnswer = scripted(base);
    if (scriptedAnswer?.delayMs)
      await new Promise((resolve) => setTimeout(resolve, scriptedAnswer.delayMs));
    const answer = { status: successStatus, ...scriptedAnswer };
    const recorded = { ...base, status: answer.status, answeredAt: Date.now() };
    requests.push(recorded);
    if (answer.status < 300 && recorded.idempotencyKey && !applied.has(recorded.idempotencyKey))
      applied.set(recorded.idempotencyKey, recorded);
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(
      JSON.stringify(
        answer.status < 300 ? { message: 'success' } : { message: 'scripted failure' },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    applied,
    script: (next) => {
      scripted = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
