import { ExpiryPlan } from './expiry-plan';

describe('ExpiryPlan', () => {
  const now = 1_000_000;

  it('wakes at the next stored expiry, and at least every rescan interval', () => {
    const plan = new ExpiryPlan(10_000);
    expect(plan.next(now, now + 2_500)).toBe(now + 2_500);
    expect(plan.next(now, now + 60_000)).toBe(now + 10_000);
    expect(plan.next(now, null)).toBe(now + 10_000);
  });

  it('wakes at the expiry of a grant accepted here before the read model holds it', () => {
    const plan = new ExpiryPlan(10_000);
    expect(plan.expect(now + 2_000, now)).toBe(true);
    expect(plan.next(now, null)).toBe(now + 2_000);
    // Beyond the rescan interval the read model will hold it by then: no need to wake for it.
    expect(plan.expect(now + 60_000, now)).toBe(false);
    expect(plan.next(now, null)).toBe(now + 2_000);
  });

  it('looks again shortly after an expected instant, for a while, then no more', () => {
    const plan = new ExpiryPlan(10_000);
    plan.expect(now + 1_000, now);
    expect(plan.next(now + 1_000, null)).toBe(now + 1_100);
    expect(plan.next(now + 3_900, null)).toBe(now + 4_000);
    expect(plan.next(now + 4_000, null)).toBe(now + 14_000);
  });

  it('does not record again an expiry recorded in the last minute', () => {
    const plan = new ExpiryPlan(10_000);
    expect(plan.due('grant-1', now)).toBe(true);
    plan.recorded(['grant-1'], now);
    expect(plan.due('grant-1', now + 59_999)).toBe(false);
    expect(plan.due('grant-1', now + 60_000)).toBe(true);
    plan.next(now + 60_000, null);
    expect(plan.due('grant-1', now + 60_001)).toBe(true);
  });
});
