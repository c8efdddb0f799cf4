import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { DashboardContext } from '../dashboard-context';
import { jurisdictionsOf } from '../figures/consent-table';
import { periodOf, rateSeries } from '../figures/rate-series';
import type { Granularity } from '../figures/rate-series';
import { describeRates, ratesChartSvg } from '../figures/rates-chart';
import type { NoticeMark } from '../figures/rates-chart';
import { sendCsv } from './exports';
import { handlerOf } from './route-handler';
import type { DashboardHandler } from './route-handler';

const DAY_MS = 86_400_000;
/** Longest range a page draws (per day: a year; per week: three). */
const MAX_DAYS = { day: 366, week: 3 * 366 } as const;
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((day) => !Number.isNaN(Date.parse(day)));

const rangeQuery = z.object({
  from: isoDay.optional(),
  to: isoDay.optional(),
  granularity: z.enum(['day', 'week']).default('day'),
  jurisdiction: z
    .string()
    .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  purpose: z.string().max(200).optional(),
});

interface RatesRange {
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
  readonly jurisdiction: string | undefined;
  /** One purpose, or (undefined) every purpose with answers in the range. */
  readonly purpose: string | undefined;
}

/** The range asked for, within bounds: the last 30 days by default, `from` never after `to`. */
export function ratesRange(query: unknown, today = new Date()): RatesRange | undefined {
  const parsed = rangeQuery.safeParse(query);
  if (!parsed.success) return undefined;
  const { granularity, jurisdiction } = parsed.data;
  const purpose = parsed.data.purpose || undefined;
  const to = parsed.data.to ?? today.toISOString().slice(0, 10);
  const from =
    parsed.data.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
  if (days < 0 || days > MAX_DAYS[granularity]) return undefined;
  return { from, to, granularity, jurisdiction, purpose };
}

/** Rates over time: a chart and a table per purpose, the chart as SVG, and the CSV. */
export function registerRatesRoutes(fastify: FastifyInstance, dashboard: DashboardContext): void {
  fastify.get('/rates', handlerOf(dashboard, ratesPage));
  fastify.get('/rates/chart.svg', handlerOf(dashboard, ratesChart));
  fastify.get('/rates.csv', handlerOf(dashboard, ratesCsv));
}

/** Each purpose's series over the range, and the notice versions registered in it. */
async function seriesOf(dashboard: DashboardContext, range: RatesRange) {
  const { standings, purposes } = dashboard.parts.sources;
  const [tallies, notices] = await Promise.all([
    standings.dailyTallies(range.from, range.to, range.jurisdiction),
    standings.noticeVersions(range.from, range.to),
  ]);
  const marks: NoticeMark[] = notices.map((notice) => ({
    period: periodOf(notice.day, range.granularity),
    label: `${notice.noticeId} v${notice.version}`,
  }));
  const ids = purposes.map((purpose) => purpose.id);
  return { series: rateSeries(tallies, ids, range.from, range.to, range.granularity), marks };
}

const refused = (dashboard: DashboardContext, reply: FastifyReply) =>
  dashboard.problem(
    reply,
    400,
    'Range not shown',
    `Choose dates in order, at most ${MAX_DAYS.day} days per day or ${MAX_DAYS.week} per week.`,
    { home: true },
  );

/** The range's query string, with more fields. */
const rangeQueryString = (range: RatesRange, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    from: range.from,
    to: range.to,
    granularity: range.granularity,
    ...(range.jurisdiction ? { jurisdiction: range.jurisdiction } : {}),
    ...(range.purpose ? { purpose: range.purpose } : {}),
    ...extra,
  });

const ratesPage: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'rates');
  if (!admitted) return reply;
  const range = ratesRange(request.query);
  if (!range) return refused(dashboard, reply);
  const { sources } = dashboard.parts;
  const { series, marks } = await seriesOf(dashboard, range);
  const jurisdictions = jurisdictionsOf(await sources.standings.counts());
  const answered = (id: string) =>
    (series.get(id) ?? []).some((point) => point.grants + point.declines + point.revocations > 0);
  const shown = sources.purposes.filter((purpose) =>
    range.purpose ? purpose.id === range.purpose : answered(purpose.id),
  );
  return dashboard.send(
    reply,
    'rates',
    { title: 'Rates over time', ...admitted, current: 'rates' },
    {
      ...range,
      notices: marks,
      csvHref: `/rates.csv?${rangeQueryString(range)}`,
      jurisdictions: jurisdictions.map((code) => ({ code, selected: code === range.jurisdiction })),
      choices: sources.purposes.map(({ id }) => ({ id, selected: id === range.purpose })),
      quiet: sources.purposes.length - shown.length,
      purposes: shown.map((purpose) => ({
        ...purpose,
        points: series.get(purpose.id) ?? [],
        chartHref: `/rates/chart.svg?${rangeQueryString(range, { purpose: purpose.id })}`,
        chartDescription: describeRates(purpose.id, series.get(purpose.id) ?? [], marks),
      })),
    },
  );
};

const ratesChart: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'rates');
  if (!admitted) return reply;
  const range = ratesRange(request.query);
  const asked = (request.query as { purpose?: string }).purpose;
  const purpose = dashboard.parts.sources.purposes.find((p) => p.id === asked);
  if (!range || !purpose) return reply.status(400).type('text/plain').send('no such chart');
  const { series, marks } = await seriesOf(dashboard, range);
  return (
    reply
      .header('cache-control', 'no-store')
      // The SVG document's own policy: its inline styles, nothing else.
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .type('image/svg+xml')
      .send(ratesChartSvg(purpose.id, series.get(purpose.id) ?? [], marks))
  );
};

const ratesCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'rates');
  if (!admitted) return reply;
  const range = ratesRange(request.query);
  if (!range) return refused(dashboard, reply);
  const { series } = await seriesOf(dashboard, range);
  const rows = [...series].flatMap(([purpose, points]) =>
    points.map((p) => [
      purpose,
      range.jurisdiction ?? 'ALL',
      p.period,
      p.grants,
      p.declines,
      p.revocations,
      p.activeAtStart,
      p.optInRate,
      p.revocationRate,
    ]),
  );
  return sendCsv(
    dashboard,
    reply,
    admitted,
    `rates-${range.from}-${range.to}-${range.granularity}`,
    [
      'purpose',
      'jurisdiction',
      'period_from',
      'agreed',
      'declined',
      'revoked',
      'active_at_start',
      'opt_in_rate',
      'revocation_rate',
    ],
    rows,
  );
};
