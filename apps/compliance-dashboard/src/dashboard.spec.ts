import type { DailyTally, StandingCount } from '@consent-ledger/persistence';
import { rolesFromClaim, scopesOfRoles, viewsOpenTo } from './access/dashboard-access';
import { consentTable } from './figures/consent-table';
import { csvLines } from './figures/csv';
import { periodOf, rateSeries } from './figures/rate-series';
import { ratesChartSvg } from './figures/rates-chart';

describe('who sees what', () => {
  const mapping = new Map([
    ['compliance-officer', ['consent:read', 'audit:read', 'operations'] as const],
    ['auditor', ['audit:read'] as const],
    ['admin', ['admin'] as const],
  ]);
  it('opens the views a role’s scopes allow, everything to admin, nothing to an unknown role', () => {
    expect(viewsOpenTo(scopesOfRoles(['auditor'], mapping))).toEqual([
      'consent',
      'rates',
      'pending',
      'findings',
    ]);
    expect(viewsOpenTo(scopesOfRoles(['admin'], mapping))).toHaveLength(5);
    expect(viewsOpenTo(scopesOfRoles(['compliance-officer'], mapping))).toHaveLength(5);
    expect(viewsOpenTo(scopesOfRoles(['marketer'], mapping))).toEqual([]);
  });
  it('reads a roles claim given as a list or as a text', () => {
    expect(rolesFromClaim(['auditor', 3])).toEqual(['auditor']);
    expect(rolesFromClaim('auditor admin')).toEqual(['auditor', 'admin']);
    expect(rolesFromClaim(undefined)).toEqual([]);
  });
});

describe('consent by state', () => {
  const counts: StandingCount[] = [
    { purpose: 'marketing.email', jurisdiction: 'DE', standing: 'ACTIVE', subjects: 5 },
    { purpose: 'marketing.email', jurisdiction: 'FR', standing: 'ACTIVE', subjects: 2 },
    { purpose: 'marketing.email', jurisdiction: 'DE', standing: 'WITHDRAWN', subjects: 1 },
    { purpose: 'ml.training', jurisdiction: 'DE', standing: 'NEVER_ASKED', subjects: 8 },
  ];
  it('adds the counters up per purpose and standing, within a jurisdiction when asked', () => {
    const [email, training] = consentTable(counts, ['marketing.email', 'ml.training']);
    expect(email!.counts.ACTIVE).toBe(7);
    expect(email!.total).toBe(8);
    expect(training!.counts.NEVER_ASKED).toBe(8);
    expect(consentTable(counts, ['marketing.email'], 'FR')[0]!.counts).toMatchObject({
      ACTIVE: 2,
      WITHDRAWN: 0,
    });
  });
  it('does not claim a count for pending re-consent, which the counters do not keep', () => {
    expect(consentTable(counts, ['marketing.email'])[0]!.counts.PENDING_RECONSENT).toBeNull();
  });
});

describe('rates over time', () => {
  const day = (d: string, fields: Partial<DailyTally>): DailyTally => ({
    day: d,
    purpose: 'marketing.email',
    grants: 0,
    declines: 0,
    revocations: 0,
    activeChange: 0,
    activeAtEnd: 0,
    ...fields,
  });
  it('draws opt-in from the answers and revocation from those active at the start', () => {
    const tallies = [
      day('2026-03-02', { grants: 3, declines: 1, activeChange: 3, activeAtEnd: 13 }),
      day('2026-03-04', { revocations: 2, activeChange: -2, activeAtEnd: 11 }),
    ];
    const [first, quiet, third] = rateSeries(
      tallies,
      ['marketing.email'],
      '2026-03-02',
      '2026-03-04',
      'day',
    ).get('marketing.email')!;
    expect(first).toMatchObject({ activeAtStart: 10, optInRate: 0.75, revocationRate: 0 });
    expect(quiet).toMatchObject({ period: '2026-03-03', optInRate: null, activeAtStart: 13 });
    expect(third!.revocationRate).toBeCloseTo(2 / 13);
  });
  it('groups days into ISO weeks starting on Monday', () => {
    expect(periodOf('2026-03-08', 'week')).toBe('2026-03-02');
    expect(periodOf('2026-03-09', 'week')).toBe('2026-03-09');
  });
  it('draws an SVG chart with a written description and the notice marks', () => {
    const points = rateSeries(
      [day('2026-03-02', { grants: 1, activeChange: 1, activeAtEnd: 1 })],
      ['marketing.email'],
      '2026-03-02',
      '2026-03-03',
      'day',
    ).get('marketing.email')!;
    const svg = ratesChartSvg('Email marketing', points, [
      { period: '2026-03-03', label: 'privacy v4' },
    ]);
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/aria-label="[^"]*Email marketing/);
    expect(svg).toContain('privacy v4');
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(
      csvLines(
        ['a', 'b'],
        [
          ['x,y', '=HYPERLINK("evil")'],
          [-3, null],
        ],
      ),
    ).toBe('a,b\r\n"x,y","\'=HYPERLINK(""evil"")"\r\n-3,\r\n');
  });
});
