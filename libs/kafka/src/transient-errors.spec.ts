import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { isTransientKafkaError, retryWhileSettling } from './transient-errors';

/** A protocol error as kafkajs builds it from the broker's error code. */
const protocolError = (type: string) =>
  new KafkaJSProtocolError({ type, code: 0, retriable: true, message: type } as never);

describe('a transient Kafka error', () => {
  it.each(['NOT_LEADER_FOR_PARTITION', 'COORDINATOR_LOAD_IN_PROGRESS', 'LEADER_NOT_AVAILABLE'])(
    'is %s, said while the cluster settles',
    (type) => {
      expect(isTransientKafkaError(protocolError(type))).toBe(true);
    },
  );

  it('is a lost connection, also under the retries that gave up on it', () => {
    const lost = new KafkaJSConnectionError('Connection error: ECONNREFUSED');
    expect(isTransientKafkaError(lost)).toBe(true);
    expect(
      isTransientKafkaError(
        new KafkaJSNumberOfRetriesExceeded(lost, { retryCount: 5, retryTime: 1_000 }),
      ),
    ).toBe(true);
  });

  it('is not a refusal for good, nor an error of ours', () => {
    expect(isTransientKafkaError(protocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(isTransientKafkaError(new TypeError('x is undefined'))).toBe(false);
    expect(
      isTransientKafkaError(
        new KafkaJSNumberOfRetriesExceeded(protocolError('INVALID_REPLICATION_FACTOR'), {
          retryCount: 5,
          retryTime: 1_000,
        }),
      ),
    ).toBe(false);
  });
});

describe('retryWhileSettling', () => {
  it('tries again after transient errors and returns what the attempt that worked returned', async () => {
    let attempts = 0;
    const retried: number[] = [];
    const ends = await retryWhileSettling(
      async () => {
        attempts += 1;
        if (attempts < 3) throw protocolError('NOT_LEADER_FOR_PARTITION');
        return 'ends';
      },
      {
        what: 'reading the ends',
        timeoutMs: 5_000,
        firstPauseMs: 1,
        onRetry: (_, n) => retried.push(n),
      },
    );
    expect(ends).toBe('ends');
    expect(retried).toEqual([1, 2]);
  });

  it('throws any other error at once', async () => {
    let attempts = 0;
    await expect(
      retryWhileSettling(
        async () => {
          attempts += 1;
          throw new TypeError('bug');
        },
        { what: 'x', timeoutMs: 5_000, firstPauseMs: 1 },
      ),
    ).rejects.toThrow('bug');
    expect(attempts).toBe(1);
  });

  it('gives up after its deadline, naming what it was doing and the last error', async () => {
    await expect(
      retryWhileSettling(
        async () => {
          throw protocolError('COORDINATOR_LOAD_IN_PROGRESS');
        },
        { what: 'joining the group', timeoutMs: 30, firstPauseMs: 5, maxPauseMs: 5 },
      ),
    ).rejects.toThrow(
      /joining the group: the cluster was still settling after 30 ms \(COORDINATOR_LOAD_IN_PROGRESS\)/,
    );
  });
});
