import type { DownstreamSystem } from '@consent-ledger/config';
import type { OperationsQueries, TeamNotificationStore } from '@consent-ledger/persistence';
import { TeamSignalsPoll } from './team-signals.poll';

const system = { name: 'email-platform', propagationObjectiveMs: 1_000 } as DownstreamSystem;

/** A database whose propagation figures the test sets, with no erasures or verify runs. */
function pollOver(p99s: Array<number | null>) {
  let index = 0;
  const store = {
    erasuresDone: async () => [],
    verifyRunsWithFindings: async () => [],
  } as Partial<TeamNotificationStore> as TeamNotificationStore;
  const operations = {
    propagation: async () => [
      { sink: 'email-platform', delivered: 10, withdrawals: 10, p50Ms: 5, p99Ms: p99s[index++]! },
    ],
  } as Partial<OperationsQueries> as OperationsQueries;
  return new TeamSignalsPoll(store, operations, [system], 0);
}

describe('TeamSignalsPoll', () => {
  it('tells when a system goes over its objective, not again until it was back under', async () => {
    const poll = pollOver([800, 1_500, 2_000, null, 900, 1_200]);
    const told = [];
    for (let at = 0; at < 6; at += 1) told.push((await poll.events(at * 600_000)).length);
    expect(told).toEqual([0, 1, 0, 0, 0, 1]);
  });

  it('says which system, how late, and against which objective', async () => {
    const [event] = await pollOver([1_500]).events(0);
    expect(event).toMatchObject({
      id: 'propagation-over-objective:email-platform:0',
      type: 'propagation-over-objective',
      summary: 'Withdrawals reach email-platform in p99 1500 ms, over its objective of 1000 ms',
      details: { system: 'email-platform', objectiveMs: 1_000 },
    });
  });
});
