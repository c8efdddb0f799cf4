import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../dashboard-context';
import { sendCsv } from './exports';
import { handlerOf } from './route-handler';
import type { DashboardHandler } from './route-handler';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Findings: the last `verify`, training manifests with people who withdrew since, their proofs. */
export function registerFindingsRoutes(
  fastify: FastifyInstance,
  dashboard: DashboardContext,
): void {
  fastify.get('/findings', handlerOf(dashboard, findingsPage));
  fastify.get('/findings/verify.csv', handlerOf(dashboard, verifyCsv));
  fastify.get('/findings/manifests.csv', handlerOf(dashboard, manifestsCsv));
  fastify.get('/findings/manifests/:manifestId', handlerOf(dashboard, manifestProof));
  fastify.get('/findings/proof/:subjectId', handlerOf(dashboard, subjectProof));
}

const findingsPage: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'findings');
  if (!admitted) return reply;
  const { sources } = dashboard.parts;
  const [verify, manifests] = await Promise.all([
    sources.lastVerify(),
    sources.affectedManifests(),
  ]);
  return dashboard.send(
    reply,
    'findings',
    { title: 'Findings', ...admitted, current: 'findings' },
    { verify, manifests },
  );
};

const verifyCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'findings');
  if (!admitted) return reply;
  const run = await dashboard.parts.sources.lastVerify();
  return sendCsv(
    dashboard,
    reply,
    admitted,
    'verify-findings',
    ['kind', 'subject_id', 'event_id', 'partition', 'offset', 'detail'],
    (run?.findings ?? []).map((f) => [
      f.kind,
      f.subjectId,
      f.eventId,
      f.partition,
      f.offset,
      f.detail,
    ]),
  );
};

const manifestsCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'findings');
  if (!admitted) return reply;
  const manifests = await dashboard.parts.sources.affectedManifests();
  return sendCsv(
    dashboard,
    reply,
    admitted,
    'affected-training-manifests',
    ['manifest_id', 'job_id', 'dataset_id', 'purpose', 'issued_at', 'withdrawn_subjects'],
    manifests.map((m) => [
      m.manifestId,
      m.jobId,
      m.datasetId,
      m.purpose,
      m.issuedAt,
      m.withdrawnSubjects,
    ]),
  );
};

/** The proof behind a manifest finding: who withdrew after it was issued, and the event that says so. */
const manifestProof: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'findings');
  if (!admitted) return reply;
  const { manifestId } = request.params as { manifestId: string };
  if (!UUID.test(manifestId))
    return dashboard.problem(reply, 404, 'Not found', 'There is no such manifest.', { home: true });
  const rows = await dashboard.parts.sources.operations.manifestWithdrawals(manifestId);
  return sendCsv(
    dashboard,
    reply,
    admitted,
    `manifest-${manifestId}-withdrawals`,
    ['subject_id', 'event_id', 'action', 'recorded_at'],
    rows.map((r) => [r.subjectId, r.eventId, r.action, r.recordedAt]),
  );
};

/** The proof of consent of a subject a finding names, from the auditor's API, recorded as an export. */
const subjectProof: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'findings');
  if (!admitted) return reply;
  const { subjectId } = request.params as { subjectId: string };
  const { sources, apiKey } = dashboard.parts;
  const response = await fetch(
    `${sources.settings.auditorUrl}/v1/audit/subjects/${encodeURIComponent(subjectId)}/proof`,
    {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    },
  );
  if (!response.ok)
    return dashboard.problem(
      reply,
      502,
      'Proof not available',
      `The auditor's API answered ${response.status}.`,
      { home: true },
      admitted.session,
    );
  await sources.operations.recordExport(
    `person:${admitted.session.subject}`,
    `proof-${subjectId}`,
    {},
  );
  return reply
    .header('cache-control', 'no-store')
    .header(
      'content-disposition',
      `attachment; filename="proof-${subjectId.replace(/[^\w.-]/g, '_')}.json"`,
    )
    .type('application/json')
    .send(await response.text());
};
