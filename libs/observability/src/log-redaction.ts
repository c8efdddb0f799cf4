/**
 * Request and response parts never written to a log: credentials, cookies, the addresses a proxy
 * forwards (a person's IP address is personal data), and the values a failed query carried.
 */
export const LOG_REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-forwarded-for"]',
  'req.headers.forwarded',
  'req.headers["x-real-ip"]',
  'res.headers["set-cookie"]',
  // A failed query's parameters and the server's detail can quote subject ids and other values.
  'err.parameters',
  'err.detail',
  'err.driverError.parameters',
  'err.driverError.detail',
];
