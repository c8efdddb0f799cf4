import type { FastifyInstance } from 'fastify';
import type { DashboardContext } from '../dashboard-context';
import { systemPropagation } from '../figures/operations-figures';
import { STATE_TEXT } from '../live/live-hub';
import { sendCsv } from './exports';
import { handlerOf } from './route-handler';
import type { DashboardHandler } from './route-handler';

/** Erasures a page lists, at most (the count above it is exact up to this). */
const ERASURES_LISTED = 1_000;

/** Propagation and pending work: what reaches downstream systems, and what is still to do. */
export function registerOperationsRoutes(
  fastify: FastifyInstance,
  dashboard: DashboardContext,
): void {
  fastify.get('/propagation', handlerOf(dashboard, propagationPage));
  fastify.get('/propagation/dead-letters.csv', handlerOf(dashboard, deadLettersCsv));
  fastify.get('/pending', handlerOf(dashboard, pendingPage));
  fastify.get('/pending/erasures.csv', handlerOf(dashboard, erasuresCsv));
}

const propagationPage: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'propagation');
  if (!admitted) return reply;
  const { sources } = dashboard.parts;
  const window = sources.settings.propagationWindowSeconds;
  const [figures, inFlight, lags] = await Promise.all([
    sources.operations.propagation(
      window,
      sources.systems.map((system) => system.name),
    ),
    sources.operations.callsInFlight(),
    sources.lags(),
  ]);
  const deadLetterTotals = sources.deadLetters.counts();
  const systems = systemPropagation(
    sources.systems,
    figures,
    inFlight,
    lags,
    sources.consumerGroups.connectors,
    deadLetterTotals,
  );
  const projector = lags.find((lag) => lag.groupId === sources.consumerGroups.projector);
  return dashboard.send(
    reply,
    'propagation',
    { title: 'Propagation', ...admitted, current: 'propagation', live: true },
    {
      windowText: window % 60 === 0 ? `${window / 60} minutes` : `${window} seconds`,
      systems: systems.map((system) => ({ ...system, stateText: STATE_TEXT[system.state] })),
      projectorLag: projector?.known ? projector.lag : null,
      deadLetterTotals,
      deadLetters: sources.deadLetters.recent(50),
    },
  );
};

const deadLettersCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'propagation');
  if (!admitted) return reply;
  return sendCsv(
    dashboard,
    reply,
    admitted,
    'dead-letters',
    [
      'failed_at',
      'consumer_group',
      'code',
      'reason',
      'source_topic',
      'source_partition',
      'source_offset',
      'dead_letter_topic',
      'dead_letter_partition',
      'dead_letter_offset',
    ],
    dashboard.parts.sources.deadLetters
      .recent()
      .map((l) => [
        l.failedAt,
        l.consumerGroup,
        l.code,
        l.reason,
        l.sourceTopic,
        l.sourcePartition,
        l.sourceOffset,
        l.topic,
        l.partition,
        l.offset,
      ]),
  );
};

const pendingPage: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'pending');
  if (!admitted) return reply;
  const { sources } = dashboard.parts;
  const [erasures, completed, campaigns] = await Promise.all([
    sources.operations.erasuresInProgress(ERASURES_LISTED),
    sources.operations.erasuresCompleted(30),
    sources.operations.campaignsInProgress(),
  ]);
  return dashboard.send(
    reply,
    'pending',
    { title: 'Pending work', ...admitted, current: 'pending', live: true },
    { erasures, completed, campaigns, keyHoldHours: sources.erasureKeyHoldHours },
  );
};

const erasuresCsv: DashboardHandler = async (dashboard, request, reply) => {
  const admitted = await dashboard.admit(request, reply, 'pending');
  if (!admitted) return reply;
  const erasures = await dashboard.parts.sources.operations.erasuresInProgress(ERASURES_LISTED);
  return sendCsv(
    dashboard,
    reply,
    admitted,
    'erasures-in-progress',
    ['subject_id', 'jurisdiction', 'requested_at'],
    erasures.map((e) => [e.subjectId, e.jurisdiction, e.requestedAt]),
  );
};
