/**
 * Request and response parts never written to a log: credentials, cookies, and the addresses a
 * proxy forwards (a person's IP address is personal data).
 */
export const LOG_REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-forwarded-for"]',
  'req.headers.forwarded',
  'req.headers["x-real-ip"]',
  'res.headers["set-cookie"]',
];
