import {
  awaitsReconsent,
  awaitsRenewal,
  lapsedUnanswered,
  parseDuration,
  reconsentSteps,
} from './lifecycle';

const at = new Date('2026-12-07T12:00:00Z');
const later = (ms: number) => new Date(at.getTime() + ms);
const notice = { noticeId: 'privacy-notice', version: '3' };
const grant = (version: string, expiresAt: Date | null = null) =>
  ({
    action: 'GRANT',
    eventId: 'g1',
    occurredAt: at,
    expiresAt,
    notice: { noticeId: 'privacy-notice', version, textSha256: 'x' },
  }) as const;

describe('parseDuration', () => {
  it('reads weeks, days, hours, minutes and seconds', () => {
    expect(parseDuration('P30D')).toBe(30 * 86_400_000);
    expect(parseDuration('PT2S')).toBe(2_000);
    expect(parseDuration('PT0.5S')).toBe(500);
    expect(parseDuration('P1W')).toBe(7 * 86_400_000);
    expect(parseDuration('P1DT12H30M')).toBe(86_400_000 + 12.5 * 3_600_000);
  });

  it('refuses months, years, and what is not a duration', () => {
    for (const text of ['P1M', 'P1Y', 'P', 'PT', '30D', 'P-1D', 'PT1H2D', ''])
      expect(parseDuration(text)).toBeUndefined();
  });
});

describe('reconsentSteps', () => {
  it('asks at the start, reminds on the schedule within the grace period, in order', () => {
    const { steps, graceEndsAt } = reconsentSteps(at, {
      graceMs: 10_000,
      remindAfterMs: [8_000, 3_000, 3_000, 10_000, 12_000, 0],
    });
    expect(graceEndsAt).toEqual(later(10_000));
    expect(steps).toEqual([
      { step: 0, dueAt: at },
      { step: 1, dueAt: later(3_000) },
      { step: 2, dueAt: later(8_000) },
    ]);
  });
});

describe('awaitsReconsent', () => {
  it('holds for a grant under an older version of the notice, until it lapses', () => {
    expect(awaitsReconsent(grant('2'), notice, at)).toBe(true);
    expect(awaitsReconsent(grant('2', later(1)), notice, at)).toBe(true);
    expect(awaitsReconsent(grant('2', at), notice, at)).toBe(false);
  });

  it('ends with an answer: a grant under the version (or a newer one), a withdrawal', () => {
    expect(awaitsReconsent(grant('3'), notice, at)).toBe(false);
    expect(awaitsReconsent(grant('10'), notice, at)).toBe(false);
    expect(awaitsReconsent({ ...grant('2'), action: 'WITHDRAW' }, notice, at)).toBe(false);
    expect(awaitsReconsent({ ...grant('2'), notice: null }, notice, at)).toBe(false);
    expect(
      awaitsReconsent(
        { ...grant('2'), notice: { noticeId: 'other', version: '1', textSha256: 'x' } },
        notice,
        at,
      ),
    ).toBe(false);
  });
});

describe('awaitsRenewal and lapsedUnanswered', () => {
  it('reminds while the very grant stands and has not lapsed', () => {
    expect(awaitsRenewal(grant('3', later(1)), 'g1', at)).toBe(true);
    expect(awaitsRenewal(grant('3', at), 'g1', at)).toBe(false);
    expect(awaitsRenewal({ ...grant('3', later(1)), eventId: 'g2' }, 'g1', at)).toBe(false);
    expect(awaitsRenewal({ ...grant('3', later(1)), action: 'WITHDRAW' }, 'g1', at)).toBe(false);
  });

  it('tells of a lapse once it came, unless the person renewed or withdrew since', () => {
    const lapsed = { eventId: 'g1', expiresAt: at };
    expect(lapsedUnanswered(grant('3', at), lapsed, at)).toBe(true);
    expect(lapsedUnanswered(grant('3', at), { ...lapsed, expiresAt: later(1) }, at)).toBe(false);
    const expire = { action: 'EXPIRE', eventId: 'e1', occurredAt: at } as const;
    expect(lapsedUnanswered(expire, lapsed, later(5))).toBe(true);
    expect(lapsedUnanswered({ ...expire, occurredAt: later(1) }, lapsed, later(5))).toBe(false);
    expect(lapsedUnanswered({ ...expire, action: 'WITHDRAW' }, lapsed, later(5))).toBe(false);
    expect(lapsedUnanswered({ ...grant('3'), eventId: 'g2' }, lapsed, later(5))).toBe(false);
  });
});
