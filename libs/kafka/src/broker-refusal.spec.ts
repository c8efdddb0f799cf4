import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { brokerRefusalOf } from './broker-refusal';

/** A protocol error as kafkajs builds it from the broker's error code. */
const protocolError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as never);

describe('a broker refusal', () => {
  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD'])(
    'is %s, a refusal of the records themselves',
    (type) => {
      expect(brokerRefusalOf(protocolError(type, false))).toBe(type);
    },
  );

  it('is found under a non-retriable error that carries it as its cause', () => {
    const wrapped = Object.assign(new KafkaJSNonRetriableError('send failed'), {
      cause: protocolError('MESSAGE_TOO_LARGE', false),
    });
    expect(brokerRefusalOf(wrapped)).toBe('MESSAGE_TOO_LARGE');
  });

  it('is not a transient failure (leader moved, timeout, connection refused)', () => {
    expect(brokerRefusalOf(protocolError('NOT_LEADER_FOR_PARTITION', true))).toBeUndefined();
    expect(brokerRefusalOf(protocolError('REQUEST_TIMED_OUT', true))).toBeUndefined();
    expect(brokerRefusalOf(new Error('Connection error: ECONNREFUSED'))).toBeUndefined();
  });
});
