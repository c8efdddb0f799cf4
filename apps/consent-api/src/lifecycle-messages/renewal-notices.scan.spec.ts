import { createTaxonomy } from '@consent-ledger/consent-domain';
import type { ExpiryPosition, LifecycleStore } from '@consent-ledger/persistence';
import { RenewalNoticesScan } from './renewal-notices.scan';

const purpose = (id: string, renewEveryMonths?: number) => ({
  id,
  description: id,
  basis: 'consent' as const,
  dataCategories: ['behavioural' as const],
  usCategory: 'other' as const,
  ...(renewEveryMonths ? { renewEveryMonths } : {}),
});
const taxonomy = createTaxonomy('scan-test', [
  purpose('ml'),
  purpose('ml.training', 12),
  purpose('marketing'),
]);

/** The store's grants in expiry order, and what each call asked for. */
function storeOf(expiries: readonly number[]) {
  const calls: Array<{ from: number; to: number }> = [];
  const grants = expiries.map((at, index) => ({
    expiresAt: new Date(at),
    subjectId: `s${index}`,
    purpose: 'ml.training',
  }));
  const after = (grant: ExpiryPosition, position: ExpiryPosition) =>
    grant.expiresAt.getTime() > position.expiresAt.getTime() ||
    (grant.expiresAt.getTime() === position.expiresAt.getTime() &&
      grant.subjectId > position.subjectId);
  const store = {
    enqueueRenewalNotices: async (_purposes, _lead, position, to, limit) => {
      calls.push({ from: position.expiresAt.getTime(), to: to.getTime() });
      const page = grants
        .filter((grant) => after(grant, position) && grant.expiresAt <= to)
        .slice(0, limit);
      return page.at(-1) ?? null;
    },
  } as Pick<LifecycleStore, 'enqueueRenewalNotices'> as LifecycleStore;
  return { store, calls };
}

describe('RenewalNoticesScan', () => {
  it('looks only at purposes with a renewal period, and their parents', () => {
    const { store } = storeOf([]);
    expect(new RenewalNoticesScan(store, taxonomy, 1_000, 0).purposes).toEqual([
      'ml',
      'ml.training',
    ]);
  });

  it('reads each expiry once, from where the last scan stopped to the lead ahead', async () => {
    const { store, calls } = storeOf([500, 1_500, 2_500]);
    const scan = new RenewalNoticesScan(store, taxonomy, 1_000, 0);
    await scan.run(0);
    await scan.run(1_000);
    expect(calls.map(({ from }) => from)).toEqual([0, 500, 500, 1_500]);
    expect(calls.at(-1)!.to).toBe(2_000);
  });

  it('looks behind where it stopped for a grant accepted with a sooner expiry, for a while', async () => {
    const { store, calls } = storeOf([5_000]);
    const scan = new RenewalNoticesScan(store, taxonomy, 10_000, 0);
    await scan.run(0);
    expect(scan.expect(new Date(2_000), 100)).toBe(true);
    expect(scan.expect(new Date(9_000), 100)).toBe(false);
    calls.length = 0;
    await scan.run(200);
    expect(calls[0]!.from).toBe(1_999);
    calls.length = 0;
    await scan.run(10_000);
    expect(calls[0]!.from).toBe(5_000);
  });
});
