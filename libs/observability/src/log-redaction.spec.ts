import { Writable } from 'node:stream';
import pino from 'pino';
import { LOG_REDACTED_PATHS } from './log-redaction';

/** A logger redacting as the apps' does, and the lines it wrote. */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino({ redact: LOG_REDACTED_PATHS }, sink) };
}

describe('request logs', () => {
  it('redact credentials, cookies and forwarded addresses, and keep the rest', () => {
    const { lines, logger } = capturedLogger();
    logger.info({
      req: {
        method: 'GET',
        url: '/v1/purposes',
        headers: {
          authorization: 'Bearer secret-key',
          'x-api-key': 'secret-key',
          cookie: 'session=abc123',
          'x-forwarded-for': '203.0.113.7',
          forwarded: 'for=203.0.113.7',
          'x-real-ip': '203.0.113.7',
          accept: 'application/json',
        },
      },
      res: { statusCode: 200, headers: { 'set-cookie': 'session=abc123' } },
    });
    const line = lines.join('');
    expect(line).not.toMatch(/secret-key|abc123|203\.0\.113\.7/);
    expect(JSON.parse(line)).toMatchObject({
      req: { url: '/v1/purposes', headers: { cookie: '[Redacted]', accept: 'application/json' } },
    });
  });

  it("redact a failed query's parameters and the server's detail, which can quote values", () => {
    const { lines, logger } = capturedLogger();
    const driverError = Object.assign(new Error('duplicate key value'), {
      code: '23505',
      detail: 'Key (subject_id)=(person@example.com) already exists.',
    });
    const failed = Object.assign(new Error('duplicate key value'), {
      query: 'INSERT INTO consent_write_head (subject_id) VALUES ($1)',
      parameters: ['person@example.com'],
      detail: driverError.detail,
      driverError,
    });
    logger.error({ err: failed }, 'request failed');
    const line = lines.join('');
    expect(line).not.toMatch(/person@example\.com/);
    expect(JSON.parse(line)).toMatchObject({ err: { query: expect.stringMatching(/^INSERT/) } });
  });
});
