import type { AppConfig } from '@consent-ledger/config';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DashboardContext } from './dashboard-context';
import type { DashboardSources } from './dashboard-sources';
import { LiveHub } from './live/live-hub';
import { PageRenderer } from './pages/page-renderer';
import { registerAssetRoutes } from './routes/assets.routes';
import { registerConsentRoutes } from './routes/consent.routes';
import { registerLiveRoutes } from './routes/live.routes';
import { registerFindingsRoutes } from './routes/findings.routes';
import { registerOperationsRoutes } from './routes/operations.routes';
import { registerRatesRoutes } from './routes/rates.routes';
import { registerSignInRoutes } from './routes/sign-in.routes';
import { dashboardCookies } from './sign-in/dashboard-session';
import { OidcSignIn } from './sign-in/oidc-sign-in';

/** Largest form the dashboard takes: the sign-out form's token. */
const MAX_FORM_BYTES = 4 * 1024;

/**
 * The compliance dashboard: server-rendered pages on Fastify for the compliance team and auditors,
 * behind sign-in through the company's OpenID provider. Server-rendered rather than a single-page
 * app: no build step or client bundle, every view works without a script (live updates are the one
 * addition a small script makes), and a page's figures are read once, where the data is. Built for
 * main.ts and the tests; the caller listens.
 */
export function createComplianceDashboard(
  config: AppConfig,
  sources: DashboardSources,
): FastifyInstance {
  const settings = config.complianceDashboard;
  const fastify = Fastify({
    logger: loggerOptions(config.logLevel),
    bodyLimit: MAX_FORM_BYTES,
    trustProxy: config.environment === 'production',
  });
  const dashboard = new DashboardContext({
    sources,
    pages: new PageRenderer(),
    cookies: dashboardCookies(settings.sessionSecret, settings.url.startsWith('https://')),
    signIn: new OidcSignIn(settings),
    hub: new LiveHub(sources, (error) =>
      fastify.log.error(
        { err: { message: (error as Error).message } },
        'live figures not measured',
      ),
    ),
    apiKey: settings.apiKey,
  });
  guard(fastify, dashboard, settings.oidc.issuerUrl);
  fastify.get('/health', async () => ({ status: 'ok' }));
  registerAssetRoutes(fastify);
  registerSignInRoutes(fastify, dashboard);
  registerConsentRoutes(fastify, dashboard);
  registerRatesRoutes(fastify, dashboard);
  registerOperationsRoutes(fastify, dashboard);
  registerFindingsRoutes(fastify, dashboard);
  registerLiveRoutes(fastify, dashboard);
  fastify.addHook('onClose', async () => dashboard.parts.hub.stop());
  return fastify;
}

/** Forms, security headers on every response, and errors as pages. */
function guard(fastify: FastifyInstance, dashboard: DashboardContext, issuerUrl: string): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const policy = contentSecurityPolicy(issuerUrl);
  fastify.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html'))
      reply.header('content-security-policy', policy).header('x-frame-options', 'DENY');
    return payload;
  });
  fastify.setErrorHandler((error: Error & { statusCode?: number }, request, reply) =>
    errorPage(dashboard, error, request, reply),
  );
  fastify.setNotFoundHandler((_request, reply) =>
    dashboard.problem(reply, 404, 'Not found', 'There is no such page.', { home: true }),
  );
}

/** Pages load only the dashboard's own files; the sign-out form may continue to the provider. */
function contentSecurityPolicy(issuerUrl: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    `form-action 'self' ${new URL(issuerUrl).origin}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A request the dashboard cannot take is the sender's (4xx); anything else is ours (503). */
async function errorPage(
  dashboard: DashboardContext,
  error: Error & { statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    request.log.warn(
      { err: { message: error.message }, route: request.routeOptions.url },
      'request refused',
    );
    return dashboard.problem(
      reply,
      status,
      'Request refused',
      'The dashboard could not take this request.',
      { home: true },
    );
  }
  request.log.error(
    { err: { message: error.message, name: error.name }, route: request.routeOptions.url },
    'request failed',
  );
  return dashboard.problem(
    reply,
    503,
    'Not available',
    'The dashboard cannot read its figures just now. Try again in a moment.',
    { home: true },
  );
}

/** Requests are logged by their route's pattern: a callback's URL carries the sign-in code. */
function loggerOptions(level: string) {
  return {
    level,
    serializers: {
      req: (request: { method: string; routeOptions?: { url?: string } }) => ({
        method: request.method,
        route: request.routeOptions?.url ?? 'unmatched',
      }),
    },
  };
}
