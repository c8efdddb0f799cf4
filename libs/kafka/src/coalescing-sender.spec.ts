import { CoalescingSender } from './coalescing-sender';

/** A send whose completion the test controls. */
function controllableSend() {
  const calls: Array<{ items: number[]; finish: (error?: Error) => void }> = [];
  const send = (items: number[]) =>
    new Promise<void>((resolve, reject) =>
      calls.push({ items, finish: (error) => (error ? reject(error) : resolve()) }),
    );
  return { calls, send };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingSender', () => {
  it('sends at once when idle, and queues what arrives meanwhile into the next single send', async () => {
    const { calls, send } = controllableSend();
    const sender = new CoalescingSender(send);
    const first = sender.submit([1]);
    const second = sender.submit([2, 3]);
    const third = sender.submit([4]);
    expect(calls.map((call) => call.items)).toEqual([[1]]);
    calls[0]!.finish();
    await first.done;
    await flush();
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3, 4]]);
    calls[1]!.finish();
    await expect(Promise.all([second.done, third.done])).resolves.toBeDefined();
  });

  it('fails every submission carried by a failed send, and carries on with the next', async () => {
    const { calls, send } = controllableSend();
    const sender = new CoalescingSender(send);
    sender.submit([0]);
    const a = sender.submit([1]);
    const b = sender.submit([2]);
    calls[0]!.finish();
    await flush();
    calls[1]!.finish(new Error('broker down'));
    await expect(a.done).rejects.toThrow('broker down');
    await expect(b.done).rejects.toThrow('broker down');
    const c = sender.submit([3]);
    await flush();
    calls[2]!.finish();
    await expect(c.done).resolves.toBeUndefined();
  });

  it('never sends a cancelled submission, and cannot cancel one already sent', async () => {
    const { calls, send } = controllableSend();
    const sender = new CoalescingSender(send);
    const sent = sender.submit([1]);
    const withdrawn = sender.submit([2]);
    sender.submit([3]);
    expect(sent.cancel()).toBe(false);
    expect(withdrawn.cancel()).toBe(true);
    calls[0]!.finish();
    await flush();
    expect(calls.map((call) => call.items)).toEqual([[1], [3]]);
  });

  it('splits the queue at the size limit', async () => {
    const { calls, send } = controllableSend();
    const sender = new CoalescingSender(send, 3);
    sender.submit([0]);
    sender.submit([1, 2]);
    sender.submit([3, 4]);
    calls[0]!.finish();
    await flush();
    calls[1]!.finish();
    await flush();
    expect(calls.map((call) => call.items)).toEqual([[0], [1, 2], [3, 4]]);
  });
});
