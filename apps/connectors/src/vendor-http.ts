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

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Calls a vendor API and classifies the outcome: 2xx succeeds; 408, 429 and 5xx, timeouts and
 * connection failures are retriable; any other status is the vendor refusing the request.
 */
export async function callVendor(
  vendor: string,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new VendorBusyError(
      'VENDOR.UNREACHABLE',
      `${vendor}: ${(error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message}`,
    );
  }
  const body = await response.text();
  if (response.ok) return;
  const detail = `${vendor} answered HTTP ${response.status}: ${body.slice(0, 300)}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    throw new VendorBusyError(
      `VENDOR.HTTP_${response.status}`,
      detail,
      retryAfterMs(response.headers.get('retry-after')),
    );
  }
  throw new NonRetriableError(`VENDOR.HTTP_${response.status}`, detail);
}
