import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('knows a database that is restarting, shutting down or unreachable', () => {
    for (const error of [
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('53300'),
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      // TypeORM's QueryFailedError keeps the driver's error.
      Object.assign(new Error('query failed'), { driverError: withCode('57P01') }),
    ])
      expect({ message: error.message, unavailable: isDatabaseUnavailable(error) }).toEqual({
        message: error.message,
        unavailable: true,
      });
  });

  it('leaves a failure of the request or the code a failure', () => {
    for (const error of [
      withCode('23505', 'duplicate key value'),
      withCode('22P05', 'unsupported Unicode escape sequence'),
      new TypeError('undefined is not a function'),
      undefined,
    ])
      expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
