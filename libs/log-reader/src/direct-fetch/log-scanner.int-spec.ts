import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { loadConfig } from '@consent-ledger/config';
import { uniqueName, waitFor } from '@consent-ledger/testing';
import type { Admin, Kafka, Message } from 'kafkajs';
import { createKafkaClient, NonRetriableError } from '@consent-ledger/kafka';
import { BrokerConnection } from './broker-connection';
import { scanLog } from './log-scanner';
import type { LogScanOptions, ScanRange } from './log-scanner';

interface Read {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/** Everything `scanLog` hands on, as plain records (records outside the ranges left out). */
async function scan(
  kafka: ReturnType<typeof loadConfig>['kafka'],
  topic: string,
  ranges: Map<number, ScanRange>,
  options: Pick<LogScanOptions, 'connectVia'> = {},
) {
  const read: Read[] = [];
  await scanLog({
    ...options,
    kafka,
    clientIdSuffix: 'scan-test',
    topic,
    ranges,
    // Small fetches, so that a partition takes several and batches are cut short.
    fetchMaxBytes: 1024,
    onRecords: (partition, records) => {
      while (records.next()) {
        const range = ranges.get(partition)!;
        if (records.offset < range.from || records.offset >= range.to) continue;
        read.push({
          partition,
          offset: records.offset,
          key: records.keyText() ?? null,
          value: records.buffer.toString(
            'utf8',
            records.valueStart,
            records.valueStart + records.valueLength,
          ),
        });
      }
    },
  });
  return read;
}

/** The same topic read by a kafkajs consumer (read-committed, its default). */
async function consumeAll(kafka: Kafka, topic: string, expected: number): Promise<Read[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('scan-test-reference') });
  const read: Read[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        read.push({
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? null,
          value: message.value!.toString(),
        });
      },
    });
    await waitFor(() => read.length >= expected, {
      timeoutMs: 30_000,
      description: `${expected} records read by kafkajs`,
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}

const byPosition = (a: Read, b: Read) => a.partition - b.partition || a.offset - b.offset;

/** A self-signed certificate for localhost and 127.0.0.1 (valid to 2126) and its key: test only. */
const testTls = {
  cert: readFileSync(join(__dirname, 'testing', 'tls-localhost.crt'), 'utf8'),
  key: readFileSync(join(__dirname, 'testing', 'tls-localhost.key'), 'utf8'),
};

/** What a {@link FaultyProxy} does to the first response it forwards on its first connection. */
type Fault = 'drop-mid-response' | 'not-leader';

/**
 * A TCP proxy in front of the broker that spoils the first response of its first connection:
 * it drops the connection halfway through it, or marks its partition NOT_LEADER_OR_FOLLOWER (as
 * a broker that lost leadership answers). Later connections pass everything through.
 */
class FaultyProxy {
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly broker: { host: string; port: number },
    private readonly fault: Fault,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: (this.server.address() as AddressInfo).port };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.connections += 1;
    const faulty = this.connections === 1;
    const upstream = connect(this.broker.port, this.broker.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    if (!faulty) {
      upstream.pipe(client);
      return;
    }
    // The first response is held whole, then spoiled; the rest passes through.
    let held = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      held = Buffer.concat([held, chunk]);
      if (held.length < 4 || held.length < 4 + held.readInt32BE(0)) return;
      upstream.off('data', onData);
      const frame = held.subarray(0, 4 + held.readInt32BE(0));
      if (this.fault === 'drop-mid-response') {
        client.write(frame.subarray(0, frame.length >> 1), () => client.destroy());
        return;
      }
      // Fetch v4: size, correlation id, throttle, topics (1), name, partitions (1), index, error.
      const nameLength = frame.readInt16BE(16);
      frame.writeInt16BE(6, 18 + nameLength + 8); // NOT_LEADER_OR_FOLLOWER
      client.write(held);
      upstream.pipe(client);
    };
    upstream.on('data', onData);
  }
}

describe('scanLog against the real broker', () => {
  const config = loadConfig();
  const kafka = createKafkaClient(config.kafka, 'scan-test');
  let admin: Admin;
  const topics: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  async function topicWith(partitions: number): Promise<string> {
    const topic = uniqueName('test.scan');
    topics.push(topic);
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    return topic;
  }

  /** Writes each batch with a send of its own (a record batch per partition per send). */
  async function produce(topic: string, batches: Message[][]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (const messages of batches) await producer.send({ topic, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /** Small batches of `perBatch` records in each of `partitions`, `sends` times over. */
  const smallBatches = (partitions: readonly number[], sends: number, perBatch: number) =>
    Array.from({ length: sends }, (_, i) =>
      partitions.flatMap((partition) =>
        Array.from({ length: perBatch }, (_, j) => ({
          partition,
          value: `p${partition}-${i}-${j}`,
        })),
      ),
    );

  /** The local broker's address (the proxies below stand in front of it). */
  const [brokerHost, brokerPort] = config.kafka.brokers[0]!.split(':');
  const broker = { host: brokerHost!, port: Number(brokerPort) };

  async function endOffsets(topic: string): Promise<Map<number, ScanRange>> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { from: Number(o.low), to: Number(o.high) }]));
  }

  it('reads what a read-committed kafkajs consumer reads: plain, committed, not aborted, in order', async () => {
    const topic = await topicWith(3);
    const plain = kafka.producer();
    const transactional = kafka.producer({
      transactionalId: uniqueName('scan-test-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await Promise.all([plain.connect(), transactional.connect()]);
    try {
      const messages = (label: string, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          key: `subject-${i % 7}`,
          value: `${label}-${i}-${'x'.repeat(i % 50)}`,
        }));
      await plain.send({ topic, messages: messages('plain', 200) });
      const aborted = await transactional.transaction();
      await aborted.send({ topic, messages: messages('aborted', 60) });
      await aborted.abort();
      await plain.send({ topic, messages: messages('between', 40) });
      const committed = await transactional.transaction();
      await committed.send({ topic, messages: messages('committed', 60) });
      await committed.commit();
      await plain.send({ topic, messages: [{ key: null, value: 'no key' }] });
    } finally {
      await Promise.all([plain.disconnect(), transactional.disconnect()]);
    }

    // A commit returns before its markers are written: the read-committed reference is read
    // first, so that the ends the scan reads to lie past the markers (else it may stop short).
    const reference = await consumeAll(kafka, topic, 301);
    const ranges = await endOffsets(topic);
    const scanned = await scan(config.kafka, topic, ranges);

    expect(scanned.filter((r) => r.value.startsWith('aborted'))).toEqual([]);
    expect(scanned.filter((r) => r.value.startsWith('committed'))).toHaveLength(60);
    expect(scanned).toHaveLength(301);
    // Each partition in log order, and the same records at the same positions as kafkajs.
    for (const partition of ranges.keys()) {
      const offsets = scanned.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    expect([...scanned].sort(byPosition)).toEqual([...reference].sort(byPosition));
  });

  it("reads one leader's partitions in turn: all of one's records, then the next one's", async () => {
    const topic = await topicWith(3);
    // Small batches in every partition, so that each fetch could hold some of all three.
    await produce(topic, smallBatches([0, 1, 2], 30, 5));
    const ranges = await endOffsets(topic);
    const scanned = await scan(config.kafka, topic, ranges);
    expect(scanned).toHaveLength(450);
    const turns = scanned
      .map((r) => r.partition)
      .filter((partition, i, all) => i === 0 || partition !== all[i - 1]);
    expect(turns).toEqual([...ranges.keys()]);
  });

  it('reads only the range asked for: from a middle offset, to before the end', async () => {
    const topic = await topicWith(1);
    await produce(
      topic,
      Array.from({ length: 5 }, (_, i) =>
        Array.from({ length: 20 }, (_, j) => ({ key: 'k', value: `v${i * 20 + j}` })),
      ),
    );
    const scanned = await scan(config.kafka, topic, new Map([[0, { from: 25, to: 70 }]]));
    expect(scanned.map((r) => r.offset)).toEqual(Array.from({ length: 45 }, (_, i) => 25 + i));
    expect(scanned.map((r) => r.value)).toEqual(Array.from({ length: 45 }, (_, i) => `v${25 + i}`));
  });

  it('fails with a clear, non-retriable error when records were deleted before they were read', async () => {
    const topic = await topicWith(1);
    await produce(topic, [Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `v${i}` }))]);
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs finds the leader in its cache
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });
    const failure = scan(config.kafka, topic, new Map([[0, { from: 0, to: 10 }]]));
    await expect(failure).rejects.toThrow(NonRetriableError);
    await expect(failure).rejects.toThrow(
      /partition 0 of .* at offset 0: OFFSET_OUT_OF_RANGE \(no longer in the log/,
    );
  });

  it.each<Fault>(['drop-mid-response', 'not-leader'])(
    'resumes where it was, nothing lost or read twice, when a leader connection fails (%s)',
    async (fault) => {
      const topic = await topicWith(2);
      await produce(topic, smallBatches([0, 1], 20, 5));
      const proxy = new FaultyProxy(broker, fault);
      const via = await proxy.start();
      try {
        const ranges = await endOffsets(topic);
        const scanned = await scan(config.kafka, topic, ranges, {
          connectVia: (leader) => ({ ...leader, ...via }),
        });
        expect(proxy.connections).toBeGreaterThanOrEqual(2);
        // Every record once, each partition in log order.
        expect(scanned).toHaveLength(200);
        for (const partition of [0, 1])
          expect(scanned.filter((r) => r.partition === partition).map((r) => r.offset)).toEqual(
            Array.from({ length: 100 }, (_, offset) => offset),
          );
      } finally {
        await proxy.stop();
      }
    },
  );

  it('reads over TLS, checking the broker against the CA it is given', async () => {
    const topic = await topicWith(1);
    await produce(topic, [Array.from({ length: 50 }, (_, i) => ({ key: 'k', value: `v${i}` }))]);
    // The local broker listens in plaintext: TLS is ended by a proxy in front of it.
    const terminator = createTlsServer(testTls, (client) => {
      const upstream = connect(broker.port, broker.host);
      for (const socket of [client, upstream]) socket.on('error', () => undefined);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
    try {
      const via = { host: 'localhost', port: (terminator.address() as AddressInfo).port };
      const scanned = await scan(config.kafka, topic, await endOffsets(topic), {
        connectVia: () => ({ ...via, ssl: { ca: testTls.cert } }),
      });
      expect(scanned.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
      // Without that CA the broker's certificate is refused.
      await expect(BrokerConnection.open({ ...via, ssl: {} }, 2_000)).rejects.toThrow(
        /self-signed certificate/,
      );
    } finally {
      await new Promise<void>((resolve) => terminator.close(() => resolve()));
    }
  });
});

describe('BrokerConnection over a real socket', () => {
  let server: Server;
  let port: number;
  /** Each request's payload is answered as two responses' worth of bytes in awkward pieces. */
  beforeAll(async () => {
    server = createServer((socket) => {
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const body = pending.subarray(4, 4 + pending.readInt32BE(0));
          pending = pending.subarray(4 + body.length);
          const answer = Buffer.concat([Buffer.alloc(4), Buffer.from(`answer to ${body}`)]);
          answer.writeInt32BE(answer.length - 4, 0);
          // One byte at a time for the size prefix, then the rest in two pieces.
          for (let i = 0; i < 4; i += 1) socket.write(answer.subarray(i, i + 1));
          socket.write(answer.subarray(4, 9));
          socket.write(answer.subarray(9));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const frame = (text: string) => {
    const buffer = Buffer.alloc(4 + Buffer.byteLength(text));
    buffer.writeInt32BE(buffer.length - 4, 0);
    buffer.write(text, 4);
    return buffer;
  };

  it('assembles responses split anywhere, in the order the requests were sent', async () => {
    const connection = await BrokerConnection.open({ host: '127.0.0.1', port, ssl: false }, 2_000);
    try {
      const answers = await Promise.all(
        ['first', 'second, a little longer', 'third'].map((text) =>
          connection.request(frame(text), 2_000).then((body) => body.toString()),
        ),
      );
      expect(answers).toEqual([
        'answer to first',
        'answer to second, a little longer',
        'answer to third',
      ]);
    } finally {
      connection.close();
    }
  });

  it('fails waiting requests when the connection drops or the server does not answer in time, and refuses to connect where nothing listens', async () => {
    const connection = await BrokerConnection.open({ host: '127.0.0.1', port, ssl: false }, 2_000);
    const waiting = connection.request(Buffer.from([0, 0, 0, 10, 1]), 10_000); // never completes
    connection.close();
    await expect(waiting).rejects.toThrow(/closed/);
    // A request the server never answers fails after its timeout, and so does the connection.
    const silent = await BrokerConnection.open({ host: '127.0.0.1', port, ssl: false }, 2_000);
    await expect(silent.request(Buffer.from([0, 0, 0, 10, 1]), 200)).rejects.toThrow(
      'no answer within 200 ms',
    );
    await expect(silent.request(frame('too late'), 2_000)).rejects.toThrow(
      'no answer within 200 ms',
    );
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const unused = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      BrokerConnection.open({ host: '127.0.0.1', port: unused, ssl: false }, 2_000),
    ).rejects.toThrow(new RegExp(`cannot connect to 127.0.0.1:${unused}`));
  });
});
