import { randomBytes } from 'node:crypto';
import { sameText } from '@consent-ledger/signed-links';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { scopesOfRoles, viewsOpenTo } from '../access/dashboard-access';
import type { DashboardContext } from '../dashboard-context';
import type { DashboardSession } from '../sign-in/dashboard-session';
import type { SignedInPerson } from '../sign-in/oidc-sign-in';
import type { ComplianceDashboardSettings } from '@consent-ledger/config';
import { handlerOf } from './route-handler';
import type { DashboardHandler } from './route-handler';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A return path of the dashboard's own (never another site: no open redirect). */
const ownPath = (value: unknown): string =>
  typeof value === 'string' && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : '/';

/**
 * Sign-in through the OpenID provider (code flow with PKCE), the callback that opens the session
 * with the scopes the person's roles grant, and sign-out (a form with the session's CSRF token)
 * that ends the provider's session too.
 */
export function registerSignInRoutes(fastify: FastifyInstance, dashboard: DashboardContext): void {
  fastify.get('/sign-in', handlerOf(dashboard, startSignIn));
  fastify.get('/auth/callback', handlerOf(dashboard, finishSignIn));
  fastify.post('/sign-out', handlerOf(dashboard, signOut));
  fastify.get(
    '/signed-out',
    handlerOf(dashboard, async (_dashboard, _request, reply) =>
      dashboard.send(reply, 'signed-out', { title: 'Signed out' }),
    ),
  );
  fastify.get('/', handlerOf(dashboard, home));
}

const startSignIn: DashboardHandler = async (dashboard, request, reply) => {
  const { cookies, signIn } = dashboard.parts;
  const returnTo = ownPath((request.query as { return?: unknown }).return);
  const { url, pending } = await signIn.start(returnTo, nowSeconds());
  return reply
    .header('set-cookie', cookies.pendingSignIn.header(pending, nowSeconds()))
    .header('cache-control', 'no-store')
    .redirect(url, 303);
};

const signInAgain = (
  dashboard: DashboardContext,
  reply: FastifyReply,
  title: string,
  message: string,
) => dashboard.problem(reply, 400, title, message, { signIn: true });

const finishSignIn: DashboardHandler = async (dashboard, request, reply) => {
  const { cookies, signIn, sources } = dashboard.parts;
  const pending = cookies.pendingSignIn.read(request.headers.cookie, nowSeconds());
  if (!pending)
    return signInAgain(
      dashboard,
      reply,
      'Sign-in expired',
      'This sign-in took too long or was started elsewhere. Sign in again.',
    );
  let person;
  try {
    person = await signIn.finish(new URL(request.url, sources.settings.url), pending);
  } catch (error) {
    request.log.warn({ err: { message: (error as Error).message } }, 'sign-in refused');
    return signInAgain(
      dashboard,
      reply,
      'Sign-in failed',
      'The identity provider did not confirm who you are. Sign in again.',
    );
  }
  const session = sessionOf(person, sources.settings);
  const { scopes } = session;
  const [first] = viewsOpenTo(scopes);
  request.log.info({ roles: person.roles, scopes }, 'signed in');
  return reply
    .header('set-cookie', [
      cookies.pendingSignIn.clearing(),
      cookies.session.header(session, nowSeconds()),
    ])
    .redirect(pending.returnTo === '/' && first ? `/${first}` : pending.returnTo, 303);
};

const signOut: DashboardHandler = async (dashboard, request, reply) => {
  const session = dashboard.session(request);
  const token = (request.body as { csrf?: unknown } | undefined)?.csrf;
  if (session && (typeof token !== 'string' || !sameText(token, session.csrf)))
    return dashboard.problem(reply, 403, 'Sign-out refused', 'This form has expired.', {
      home: true,
    });
  const providerSignOut = await dashboard.parts.signIn
    .signOutUrl(session?.idToken)
    .catch(() => undefined);
  return reply
    .header('set-cookie', dashboard.parts.cookies.session.clearing())
    .redirect(providerSignOut ?? '/signed-out', 303);
};

const home: DashboardHandler = async (dashboard, request, reply) => {
  const session = dashboard.session(request);
  if (!session) return reply.redirect('/sign-in', 303);
  const [first] = viewsOpenTo(session.scopes);
  if (first) return reply.redirect(`/${first}`, 303);
  return dashboard.admit(request, reply, 'consent');
};

/** The session of a person the provider confirmed, with the scopes their roles grant. */
function sessionOf(
  person: SignedInPerson,
  settings: ComplianceDashboardSettings,
): DashboardSession {
  return {
    subject: person.subject,
    name: person.name,
    roles: person.roles,
    scopes: scopesOfRoles(person.roles, settings.roles),
    csrf: randomBytes(18).toString('base64url'),
    idToken: person.idToken,
    expiresAt: nowSeconds() + settings.sessionSeconds,
  };
}
