import { loadConsentPolicy, loadDownstreamSystems } from '@consent-ledger/config';
import type { AppConfig, DownstreamSystem, LoadedConsentPolicy } from '@consent-ledger/config';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { CentreContext } from './centre-context';
import { PreferenceChoices } from './choices/preference-choices';
import { ConsentApiClient } from './ledger/consent-api.client';
import { LinkVerifier } from './ledger/link-verifier';
import { PageRenderer } from './pages/page-renderer';
import { registerAssetRoutes } from './routes/assets.routes';
import { registerEntryRoutes } from './routes/entry.routes';
import { registerPreferenceRoutes } from './routes/preferences.routes';
import { registerSignInRoutes } from './routes/sign-in.routes';
import { registerUnsubscribeRoutes } from './routes/unsubscribe.routes';
import { PendingCodeCookies, SessionCookies } from './session/session-cookie';
import { EmailPlatformCodeSender } from './sign-in/code-sender';
import { loadCentreTexts } from './texts/centre-texts';

/** The downstream systems of downstream-systems.yaml, by name. */
type DownstreamSystems = ReadonlyMap<string, DownstreamSystem>;

/** Largest form the centre takes: a few hidden fields. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The preference centre: server-rendered pages on Fastify for the people whose consent the ledger
 * holds, reached by a signed link, recording their choices through the consent API. Built for
 * main.ts and the tests; the caller listens.
 */
export async function createPreferenceCentre(config: AppConfig): Promise<FastifyInstance> {
  const policy = loadConsentPolicy(config.consentPolicy);
  const systems = loadDownstreamSystems(config.connectors.downstreamSystemsFile, policy.taxonomy);
  const centre = centreContext(config, policy, systems);
  const fastify = Fastify({
    logger: {
      level: config.logLevel,
      // A request is logged by its route's pattern, never its URL: links carry bearer tokens.
      serializers: {
        req: (request: { method: string; routeOptions?: { url?: string } }) => ({
          method: request.method,
          route: request.routeOptions?.url ?? 'unmatched',
        }),
      },
    },
    bodyLimit: MAX_FORM_BYTES,
    // A link's token is a path parameter of a few hundred characters (Fastify's default is 100).
    routerOptions: { maxParamLength: 1_000 },
    trustProxy: config.environment === 'production',
  });
  acceptForms(fastify);
  fastify.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    const detail = {
      err: { message: error.message, name: error.name },
      route: request.routeOptions.url,
    };
    // A request we cannot take (too large, unreadable) is the sender's; anything else is ours.
    if (status >= 400 && status < 500) {
      request.log.warn(detail, 'request refused');
      return centre.problem(request, reply, status, 'formExpired');
    }
    request.log.error(detail, 'request failed');
    await centre.problem(request, reply, 503, 'unavailable');
  });
  fastify.setNotFoundHandler((request, reply) =>
    centre.problem(request, reply, 404, 'linkInvalid'),
  );
  registerRoutes(fastify, centre, config, policy, systems);
  return fastify;
}

/**
 * The centre's forms are URL-encoded. RFC 8058 lets a mail client send its one-click POST as
 * `multipart/form-data` too, or with another type: the route needs nothing of the body (the link
 * says what to withdraw), so any other body is taken as an empty form rather than refused.
 */
function acceptForms(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) =>
    done(null, {}),
  );
}

/** Every route of the centre: health, assets, links, choices, one-click unsubscribe, sign-in. */
function registerRoutes(
  fastify: FastifyInstance,
  centre: CentreContext,
  config: AppConfig,
  policy: LoadedConsentPolicy,
  systems: DownstreamSystems,
): void {
  // Up while it answers; degraded while the consent API does not (pages then say so, 503).
  fastify.get('/health', async () =>
    (await centre.parts.api.healthy())
      ? { status: 'ok', consentApi: 'up' }
      : { status: 'degraded', consentApi: 'down' },
  );
  registerAssetRoutes(fastify, centre.parts.texts);
  registerEntryRoutes(fastify, centre);
  registerPreferenceRoutes(fastify, centre, policy.taxonomy.purposes);
  registerUnsubscribeRoutes(fastify, centre);
  registerSignInRoutes(fastify, centre, {
    sender: new EmailPlatformCodeSender(
      config.connectors.emailPlatform,
      centre.parts.texts.oneTimeCode.campaignId,
      systems.get('email-platform')?.identifiedBy ?? 'external-id',
    ),
    pendingCodes: new PendingCodeCookies(
      config.preferenceCentre.sessionSecret,
      centre.parts.secure,
    ),
  });
}

/** The centre's parts from the configuration: texts, the consent API, sessions, pages. */
function centreContext(
  config: AppConfig,
  policy: LoadedConsentPolicy,
  systems: DownstreamSystems,
): CentreContext {
  const texts = loadCentreTexts(config.preferenceCentre.textsFile, policy.taxonomy);
  const api = new ConsentApiClient(
    config.preferenceCentre.consentApiUrl,
    config.preferenceCentre.apiKey,
  );
  const secure = config.preferenceLinks.centreUrl.startsWith('https://');
  return new CentreContext({
    api,
    links: new LinkVerifier(api),
    sessions: new SessionCookies(
      config.preferenceCentre.sessionSecret,
      config.preferenceCentre.sessionSeconds,
      secure,
      config.preferenceCentre.frameAncestors.length > 0,
    ),
    texts,
    pages: new PageRenderer(texts),
    choices: new PreferenceChoices(api, texts, policy),
    systems: systemsTold(
      config.connectors.enabled,
      systems,
      texts.purposes.map((purpose) => purpose.id),
    ),
    contentSecurityPolicy: contentSecurityPolicy(config.preferenceCentre.frameAncestors),
    secure,
  });
}

function contentSecurityPolicy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

/** The enabled downstream systems that serve a purpose the centre shows. */
function systemsTold(
  enabled: readonly string[],
  systems: DownstreamSystems,
  shown: readonly string[],
): string[] {
  return enabled.filter((name) =>
    systems.get(name)?.purposes.some((purpose) => shown.includes(purpose)),
  );
}
