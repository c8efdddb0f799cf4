import type { AppConfig } from '@consent-ledger/config';
import { parseWithSchema } from '@consent-ledger/http';
import type { PlainJsonRoute } from '@consent-ledger/http';
import { decisionRequestSchema } from '../decision-request';
import type { DecisionsService } from './decisions.service';

/** The path of the benchmark's baseline route. */
export const NO_OP_PATH = '/v1/no-op';

/**
 * The decision API's routes served before Fastify (libs/http PlainJsonRoutes): single decisions,
 * and outside production the benchmark's baseline, a no-op route with the same key check and body
 * handling and no decision, so that what a decision costs is the difference between the two.
 */
export function decisionRoutes(
  decisions: DecisionsService,
  environment: AppConfig['environment'],
): PlainJsonRoute[] {
  const decide: PlainJsonRoute = {
    path: '/v1/decisions',
    scopes: ['decision:read'],
    answer: (body, caller) =>
      decisions.decideOne(parseWithSchema(decisionRequestSchema, body), caller),
  };
  if (environment === 'production') return [decide];
  return [decide, { path: NO_OP_PATH, scopes: ['decision:read'], answer: () => ({ ok: true }) }];
}
