import type { FastifyInstance } from 'fastify';
import { viewsOpenTo } from '../access/dashboard-access';
import type { DashboardContext } from '../dashboard-context';
import { figuresFor } from '../live/live-figures';
import { handlerOf } from './route-handler';
import type { DashboardHandler } from './route-handler';
import type { LiveFigure } from '../live/live-figures';

/** A comment line now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * `/live`: server-sent events. On connecting, every figure the person may see; then each change
 * as the hub measures it (every DASHBOARD_LIVE_INTERVAL_MS while anyone listens). A session that
 * ends closes the stream (the page then says live updates stopped).
 */
export function registerLiveRoutes(fastify: FastifyInstance, dashboard: DashboardContext): void {
  fastify.get('/live', handlerOf(dashboard, liveFigures));
}

const liveFigures: DashboardHandler = async (dashboard, request, reply) => {
  const session = dashboard.session(request);
  if (!session) return dashboard.problem(reply, 401, 'Sign in first', 'Your session has ended.');
  const views = viewsOpenTo(session.scopes);
  if (views.length === 0)
    return dashboard.problem(reply, 403, 'Not open to your role', 'No view is open to your roles.');
  const initial = figuresFor(await dashboard.parts.hub.current(), views);
  reply.hijack();
  const stream = reply.raw;
  stream.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (figures: readonly LiveFigure[]) => {
    if (figures.length > 0) stream.write(`event: figures\ndata: ${JSON.stringify(figures)}\n\n`);
  };
  send(initial);
  const unsubscribe = dashboard.parts.hub.subscribe((changed) => send(figuresFor(changed, views)));
  const heartbeat = setInterval(() => stream.write(': still here\n\n'), HEARTBEAT_MS);
  const ending = setTimeout(
    () => stream.end('event: session-ended\ndata: {}\n\n'),
    Math.max(0, session.expiresAt * 1000 - Date.now()),
  );
  request.raw.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
    clearTimeout(ending);
  });
  return reply;
};
