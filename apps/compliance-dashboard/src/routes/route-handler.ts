import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DashboardContext } from '../dashboard-context';

/** A route's work, given the dashboard's parts. */
export type DashboardHandler = (
  dashboard: DashboardContext,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>;

/** The handler as Fastify calls it. */
export const handlerOf =
  (dashboard: DashboardContext, handler: DashboardHandler) =>
  (request: FastifyRequest, reply: FastifyReply) =>
    handler(dashboard, request, reply);
