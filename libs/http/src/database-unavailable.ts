/**
 * SQLSTATEs a database that is restarting, shutting down or unreachable answers with: connection
 * exceptions (class 08), operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03
 * cannot connect now), too many connections (53300).
 */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;
/** What Node and node-postgres say when the connection is refused, cut or never made. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)/;

/**
 * True when an error means the database cannot be reached now (restarting, unreachable,
 * refusing connections), rather than that the request or the code is wrong: the answer is then
 * 503 with Retry-After, never 500. Looks through TypeORM's QueryFailedError to the driver's error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let candidate = error, depth = 0; candidate && depth < 3; depth += 1) {
    const { code, message, driverError, cause } = candidate as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_STATES.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))
    )
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    candidate = driverError ?? cause;
  }
  return false;
}
