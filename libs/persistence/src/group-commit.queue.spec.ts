import { GroupCommitQueue } from './group-commit.queue';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitQueue', () => {
  it('writes the first request at once and everything that arrived meanwhile as one group', async () => {
    const groups: number[][] = [];
    const finishers: Array<() => void> = [];
    const queue = new GroupCommitQueue<number, number>((inputs) => {
      groups.push(inputs);
      return new Promise((resolve) =>
        finishers.push(() => resolve(inputs.map((input) => input * 10))),
      );
    });
    const first = queue.submit(1);
    const rest = [queue.submit(2), queue.submit(3)];
    expect(groups).toEqual([[1]]);
    finishers[0]!();
    await expect(first).resolves.toBe(10);
    await flush();
    expect(groups).toEqual([[1], [2, 3]]);
    finishers[1]!();
    await expect(Promise.all(rest)).resolves.toEqual([20, 30]);
  });

  it('gives each request its own outcome, and fails the whole group only when the write fails', async () => {
    let fail = false;
    const queue = new GroupCommitQueue<number, number>(async (inputs) => {
      if (fail) throw new Error('database down');
      return inputs.map((input) => (input < 0 ? new Error(`conflict ${input}`) : input));
    });
    await expect(queue.submit(-1)).rejects.toThrow('conflict -1');
    await expect(queue.submit(5)).resolves.toBe(5);
    fail = true;
    await expect(queue.submit(6)).rejects.toThrow('database down');
  });

  it('bounds a group by the summed size of its inputs', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const queue = new GroupCommitQueue<number, number>(
      async (inputs) => {
        groups.push(inputs);
        if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return inputs;
      },
      5,
      (input) => input,
    );
    const all = [queue.submit(1), queue.submit(3), queue.submit(2), queue.submit(4)];
    release();
    await Promise.all(all);
    expect(groups).toEqual([[1], [3, 2], [4]]);
  });
});
