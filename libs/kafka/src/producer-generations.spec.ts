import { ProducerGenerations } from './producer-generations';

/** A send the test settles by hand. */
interface HeldSend {
  readonly producer: number;
  readonly label: string;
  succeed(): void;
  fail(error: Error): void;
}

/** Producers are numbered in the order they were made; sends are held until the test settles them. */
function harness() {
  const made: number[] = [];
  const connected: number[] = [];
  const disconnected: number[] = [];
  const started: HeldSend[] = [];
  const generations = new ProducerGenerations<number>({
    create: () => {
      made.push(made.length + 1);
      return made.length;
    },
    connect: async (producer) => {
      connected.push(producer);
    },
    disconnect: async (producer) => {
      disconnected.push(producer);
    },
  });
  const send = (lane: string, label: string) =>
    generations.run(
      lane,
      (producer) =>
        new Promise<string>((resolve, reject) =>
          started.push({
            producer,
            label,
            succeed: () => resolve(`${label}@${producer}`),
            fail: reject,
          }),
        ),
    );
  return { generations, made, connected, disconnected, started, send };
}

/** Lets every pending promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ProducerGenerations', () => {
  it("starts a partition's next send only once the one before it settled, in order", async () => {
    const { started, send } = harness();
    const first = send('events/0', 'a');
    const second = send('events/0', 'b');
    const third = send('events/0', 'c');
    const otherPartition = send('events/1', 'x');
    await settle();
    expect(started.map(({ label }) => label)).toEqual(['a', 'x']);
    started[0]!.succeed();
    await expect(first).resolves.toBe('a@1');
    await settle();
    expect(started.map(({ label }) => label)).toEqual(['a', 'x', 'b']);
    started[2]!.succeed();
    await settle();
    started[3]!.succeed();
    started[1]!.succeed();
    await expect(Promise.all([second, third, otherPartition])).resolves.toEqual([
      'b@1',
      'c@1',
      'x@1',
    ]);
  });

  it('sends what waited behind a failed send through a new producer, and drops the old one', async () => {
    const { started, send, made, connected, disconnected } = harness();
    const failing = send('events/0', 'a');
    const waiting = [send('events/0', 'b'), send('events/0', 'c')];
    const elsewhere = send('events/1', 'x');
    await settle();
    started[0]!.fail(new Error('connection closed'));
    await expect(failing).rejects.toThrow('connection closed');
    await settle();
    // b goes to producer 2; c waits behind b there; x, in flight on producer 1, keeps it open.
    expect(started.slice(2).map(({ label, producer }) => `${label}@${producer}`)).toEqual(['b@2']);
    expect(made).toEqual([1, 2]);
    expect(connected).toEqual([1, 2]);
    expect(disconnected).toEqual([]);
    started[1]!.succeed();
    await expect(elsewhere).resolves.toBe('x@1');
    await settle();
    expect(disconnected).toEqual([1]);
    started[2]!.succeed();
    await settle();
    started[3]!.succeed();
    await expect(Promise.all(waiting)).resolves.toEqual(['b@2', 'c@2']);
    // A new send after all that goes to producer 2 at once.
    const later = send('events/1', 'y');
    await settle();
    started[4]!.succeed();
    await expect(later).resolves.toBe('y@2');
  });

  it('takes no more sends once disconnected', async () => {
    const { generations, send, disconnected } = harness();
    await generations.connect();
    await generations.disconnect();
    expect(disconnected).toEqual([1]);
    await expect(send('events/0', 'a')).rejects.toThrow('disconnected');
  });

  it('sends through a new producer when connected again after a disconnect', async () => {
    const { generations, send, started, connected } = harness();
    await generations.connect();
    await generations.disconnect();
    await generations.connect();
    expect(connected).toEqual([1, 2]);
    const sent = send('events/0', 'a');
    await settle();
    started[0]!.succeed();
    await expect(sent).resolves.toBe('a@2');
  });
});
