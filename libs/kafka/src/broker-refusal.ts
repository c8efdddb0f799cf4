/**
 * Protocol errors with which a broker refuses a record for what it is (too large, malformed):
 * sending it again can never succeed, so the writer sets it aside with the reason.
 */
const refusedRecordTypes: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

/** The broker's refusal of the records themselves (its protocol error type), if that is what failed. */
export function brokerRefusalOf(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 5; depth += 1) {
    const {
      type,
      originalError,
      cause: inner,
    } = cause as {
      type?: unknown;
      originalError?: unknown;
      cause?: unknown;
    };
    if (typeof type === 'string' && refusedRecordTypes.has(type)) return type;
    cause = originalError ?? inner;
  }
  return undefined;
}
