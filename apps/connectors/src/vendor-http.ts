import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { NonRetriableError, RetriableError } from '@consent-ledger/kafka';

/** A retriable vendor error that may say when to come back. */
export class VendorBusyError extends RetriableError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
  }
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A vendor request: method, headers and a (JSON) body. */
export interface VendorRequestInit {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface VendorResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Connections are kept open between calls (a sink calls the same host many times a second). Node's
 * agent closes an idle connection before the server's advertised Keep-Alive timeout; a connection
 * the server closed anyway fails the call, which is retried like any other connection failure.
 */
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 128 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 128 }),
};

class VendorTimeoutError extends Error {}

/** Most bytes of a vendor's answer that are kept; the rest is read and dropped. */
export const MAX_VENDOR_BODY_BYTES = 64 * 1024;

/**
 * One HTTP exchange with node:http: a vendor call is a small JSON request on a kept-open
 * connection, and node:http costs a fraction of fetch's CPU per call (no web streams, no abort
 * signal per request), which matters at a thousand calls a second on two cores.
 */
function exchange(url: URL, init: VendorRequestInit, timeoutMs: number): Promise<VendorResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: init.method,
        agent: agents[url.protocol as keyof typeof agents],
        headers: { ...init.headers, 'content-length': Buffer.byteLength(init.body) },
      },
      (response) => {
        // Only the start of a body is kept (errors quote 300 characters of it), and the rest is
        // not even read: a vendor that answers megabytes, or never stops, costs neither memory
        // nor time (the connection is closed once the start is in).
        const chunks: Buffer[] = [];
        let kept = 0;
        const settle = () => {
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        };
        response.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, MAX_VENDOR_BODY_BYTES - kept);
          chunks.push(Buffer.from(part));
          kept += part.length;
          if (kept < MAX_VENDOR_BODY_BYTES) return;
          settle();
          response.destroy();
        });
        response.on('error', reject);
        response.on('end', settle);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new VendorTimeoutError(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(init.body);
  });
}

/**
 * Calls a vendor API and classifies the outcome: 2xx succeeds; 408, 429 and 5xx, timeouts and
 * connection failures are retriable; any other status is the vendor refusing the request.
 */
export async function callVendor(
  vendor: string,
  url: string,
  init: VendorRequestInit,
  timeoutMs: number,
): Promise<void> {
  let response: VendorResponse;
  try {
    response = await exchange(new URL(url), init, timeoutMs);
  } catch (error) {
    throw new VendorBusyError('VENDOR.UNREACHABLE', `${vendor}: ${(error as Error).message}`);
  }
  if (response.status >= 200 && response.status < 300) return;
  const detail = `${vendor} answered HTTP ${response.status}: ${response.body.slice(0, 300)}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    throw new VendorBusyError(
      `VENDOR.HTTP_${response.status}`,
      detail,
      retryAfterMs(response.headers['retry-after']),
    );
  }
  throw new NonRetriableError(`VENDOR.HTTP_${response.status}`, detail);
}
