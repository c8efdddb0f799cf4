import { FetchBatchGatherer } from './fetch-batch-gatherer';

describe('FetchBatchGatherer', () => {
  it('applies the batches submitted in one tick together, each submitter getting its outcome', async () => {
    const groups: number[][] = [];
    const gatherer = new FetchBatchGatherer<number, string>(async (batches) => {
      groups.push(batches);
      return batches.map((batch) => `done ${batch}`);
    });
    const first = await Promise.all([1, 2, 3].map((batch) => gatherer.submit(batch)));
    const second = await gatherer.submit(4);
    expect(first).toEqual(['done 1', 'done 2', 'done 3']);
    expect(second).toBe('done 4');
    expect(groups).toEqual([[1, 2, 3], [4]]);
  });

  it('gathers batches submitted after awaits that settle within the tick', async () => {
    const groups: number[][] = [];
    const gatherer = new FetchBatchGatherer<number, number>(async (batches) => {
      groups.push(batches);
      return batches;
    });
    const late = async (batch: number) => {
      await Promise.resolve();
      await Promise.resolve();
      return gatherer.submit(batch);
    };
    await Promise.all([gatherer.submit(1), late(2), late(3)]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('fails every submitter of a group whose application failed, and goes on afterwards', async () => {
    let fail = true;
    const gatherer = new FetchBatchGatherer<number, number>(async (batches) => {
      if (fail) throw new Error('database unavailable');
      return batches;
    });
    const outcomes = await Promise.allSettled([gatherer.submit(1), gatherer.submit(2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(gatherer.submit(3)).resolves.toBe(3);
  });
});
