import { consentStandings } from '@consent-ledger/consent-domain';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StandingCount } from '@consent-ledger/persistence';
import { z } from 'zod';
import type { DashboardContext } from '../dashboard-context';
import { consentTable, jurisdictionsOf, standingColumns } from '../figures/consent-table';
import type { StandingColumn } from '../figures/consent-table';
import { formatCount } from '../live/live-figures';
import { sendCsv } from './exports';
import { handlerOf } from './route-handler';
import type { DashboardHandler } from './route-handler';

/** The standings' names as the pages print them. */
export const STANDING_LABELS: Readonly<Record<StandingColumn, string>> = {
  ACTIVE: 'Active',
  PENDING_RECONSENT: 'Pending re-consent',
  LAPSED_NOTICE: 'Lapsed after a notice change',
  WITHDRAWN: 'Withdrawn',
  EXPIRED: 'Expired',
  NEVER_ASKED: 'Never asked',
  ERASED: 'Erased',
};

const PAGE_SIZE = 100;
/** Rows an export reads per query. */
const EXPORT_PAGE = 10_000;

const jurisdictionField = z
  .string()
  .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/)
  .optional()
  .or(z.literal('').transform(() => undefined));

const listQuery = z.object({
  purpose: z.string().min(1).max(200),
  standing: z.enum(consentStandings),
  jurisdiction: jurisdictionField,
  after: z.string().max(200).optional(),
});

/** Consent by state: the table, the lists of subjects behind each count, and their exports. */
export function registerConsentRoutes(fastify: FastifyInstance, dashboard: DashboardContext): void {
  fastify.get('/consent', handlerOf(dashboard, consentPage));
  fastify.get('/consent.csv', handlerOf(dashboard, consentCsv));
  fastify.get('/consent/subjects', handlerOf(dashboard, subjectsPage));
  fastify.get('/consent/subjects.csv', handlerOf(dashboard, subjectsCsv));
}

const purposeIds = (dashboard: DashboardContext) =>
  dashboard.parts.sources.purposes.map((purpose) => purpose.id);

const jurisdictionOf = (request: FastifyRequest) =>
  jurisdictionField.safeParse((request.query as { jurisdiction?: unknown }).jurisdiction).data;

const consentPage: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'consent');
  if (!admitted) return reply;
  const jurisdiction = jurisdictionOf(request);
  const counts = await dashboard.parts.sources.standings.counts();
  return dashboard.send(
    reply,
    'consent',
    { title: 'Consent by state', ...admitted, current: 'consent', live: true },
    {
      rows: consentRows(dashboard, counts, jurisdiction),
      jurisdiction,
      columns: standingColumns.map((column) => ({ label: STANDING_LABELS[column] })),
      jurisdictions: jurisdictionsOf(counts).map((code) => ({
        code,
        selected: code === jurisdiction,
      })),
    },
  );
};

/** The table's rows: each count a link to its list, keyed for live updates. */
function consentRows(
  dashboard: DashboardContext,
  counts: readonly StandingCount[],
  jurisdiction: string | undefined,
) {
  const { purposes } = dashboard.parts.sources;
  return consentTable(counts, purposeIds(dashboard), jurisdiction).map((row) => {
    const prefix = `consent:${jurisdiction ?? '*'}:${row.purpose}`;
    return {
      purpose: row.purpose,
      description: purposes.find((purpose) => purpose.id === row.purpose)?.description,
      total: row.total,
      totalKey: `${prefix}:total`,
      cells: standingColumns.map((column) => ({
        key: `${prefix}:${column}`,
        text: formatCount(row.counts[column]),
        listable: row.counts[column] !== null,
        label: `${STANDING_LABELS[column].toLowerCase()} for ${row.purpose}: list them`,
        note: 'Not counted yet',
        href: `/consent/subjects?${new URLSearchParams({ purpose: row.purpose, standing: column, ...(jurisdiction ? { jurisdiction } : {}) })}`,
      })),
    };
  });
}

const consentCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'consent');
  if (!admitted) return reply;
  const jurisdiction = jurisdictionOf(request);
  const counts = await dashboard.parts.sources.standings.counts();
  return sendCsv(
    dashboard,
    reply,
    admitted,
    `consent-by-state${jurisdiction ? `-${jurisdiction}` : ''}`,
    ['purpose', 'jurisdiction', ...standingColumns.map((c) => c.toLowerCase()), 'total'],
    consentTable(counts, purposeIds(dashboard), jurisdiction).map((row) => [
      row.purpose,
      jurisdiction ?? 'ALL',
      ...standingColumns.map((column) => row.counts[column]),
      row.total,
    ]),
  );
};

/** The list asked for, or undefined when it is none of the table's. */
function listOf(dashboard: DashboardContext, request: FastifyRequest) {
  const query = listQuery.safeParse(request.query);
  return query.success && purposeIds(dashboard).includes(query.data.purpose)
    ? query.data
    : undefined;
}

const noSuchList = (dashboard: DashboardContext, reply: FastifyReply) =>
  dashboard.problem(reply, 400, 'No such list', 'Choose a count on the consent page.', {
    home: true,
  });

const subjectsPage: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'consent');
  if (!admitted) return reply;
  const list = listOf(dashboard, request);
  if (!list) return noSuchList(dashboard, reply);
  const { purpose, standing, jurisdiction } = list;
  const { standings } = dashboard.parts.sources;
  const members = await standings.members({ ...list, limit: PAGE_SIZE });
  const total = consentTable(await standings.counts(), [purpose], jurisdiction)[0]!.counts[
    standing
  ];
  const base = { purpose, standing, ...(jurisdiction ? { jurisdiction } : {}) };
  const last = members[members.length - 1];
  return dashboard.send(
    reply,
    'subjects',
    { title: `${STANDING_LABELS[standing]}: ${purpose}`, ...admitted, current: 'consent' },
    {
      purpose,
      jurisdiction,
      standingLabel: STANDING_LABELS[standing],
      total,
      members,
      csvHref: `/consent/subjects.csv?${new URLSearchParams(base)}`,
      nextHref:
        members.length === PAGE_SIZE && last
          ? `/consent/subjects?${new URLSearchParams({ ...base, after: last.subjectId })}`
          : undefined,
    },
  );
};

const subjectsCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'consent');
  if (!admitted) return reply;
  const list = listOf(dashboard, request);
  if (!list) return noSuchList(dashboard, reply);
  const { purpose, standing, jurisdiction } = list;
  const rows: Array<readonly unknown[]> = [];
  for (let after: string | undefined; ;) {
    const page = await dashboard.parts.sources.standings.members({
      purpose,
      standing,
      jurisdiction,
      after,
      limit: EXPORT_PAGE,
    });
    rows.push(...page.map((m) => [m.subjectId, purpose, standing, m.jurisdiction, m.since]));
    if (page.length < EXPORT_PAGE) break;
    after = page[page.length - 1]!.subjectId;
  }
  return sendCsv(
    dashboard,
    reply,
    admitted,
    `subjects-${purpose}-${standing}${jurisdiction ? `-${jurisdiction}` : ''}`,
    ['subject_id', 'purpose', 'standing', 'jurisdiction', 'since'],
    rows,
  );
};
