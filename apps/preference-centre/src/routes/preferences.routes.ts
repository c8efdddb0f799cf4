import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CentreContext } from '../centre-context';
import { UnknownPurposeError } from '../choices/preference-choices';
import { PreferencesPage } from './preferences-page';
import type { PurposePolicy } from '../pages/preference-view';
import { csrfMatches } from '../session/session-cookie';
import type { CentreSession } from '../session/session-cookie';

type Form = Record<string, string | undefined>;

/** The person's choices: the page, one switch, withdraw everything (after a confirmation), GPC. */
export function registerPreferenceRoutes(
  fastify: FastifyInstance,
  centre: CentreContext,
  policies: ReadonlyMap<string, PurposePolicy>,
): void {
  const page = new PreferencesPage(centre, policies);
  fastify.get('/preferences', (request, reply) => page.show(request, reply));
  fastify.post<{ Body: Form }>('/preferences', (request, reply) =>
    withForm(centre, request, reply, (session) => recordChoice(centre, request, reply, session)),
  );
  fastify.get('/preferences/withdraw-all', (request, reply) =>
    page.confirmWithdrawAll(request, reply),
  );
  fastify.post<{ Body: Form }>('/preferences/withdraw-all', (request, reply) =>
    withForm(centre, request, reply, async (session) => {
      const recorded = await centre.parts.choices.withdrawAll(
        session,
        formId(request.body),
        centre.evidence(request),
      );
      return redirect(reply, `/preferences?saved=all${showing(recorded)}`);
    }),
  );
  // navigator.globalPrivacyControl without the header: told by the page's script.
  fastify.post<{ Body: Form }>('/preferences/gpc', (request, reply) =>
    withForm(centre, request, reply, async (session) => {
      const { eventIds } = await centre.parts.choices.honourGpc(session, centre.evidence(request));
      return redirect(reply, `/preferences?gpc=1${showing(eventIds)}`);
    }),
  );
}

/** One switch: the choice is recorded, then the page again with what was saved. */
async function recordChoice(
  centre: CentreContext,
  request: FastifyRequest<{ Body: Form }>,
  reply: FastifyReply,
  session: CentreSession,
): Promise<void> {
  const { purpose = '', action } = request.body;
  if (action !== 'GRANT' && action !== 'WITHDRAW')
    return centre.problem(request, reply, 400, 'formExpired');
  const recorded = await centre.parts.choices.choose(
    session,
    purpose,
    action,
    formId(request.body),
    centre.evidence(request),
  );
  const on = action === 'GRANT' ? 1 : 0;
  return redirect(
    reply,
    `/preferences?saved=${encodeURIComponent(purpose)}&on=${on}${showing(recorded)}`,
  );
}

/** The events the next page waits to show (read your own writes). */
const showing = (eventIds: readonly string[]) =>
  eventIds.length > 0 ? `&events=${eventIds.join(',')}` : '';

/** A form's id: the session's token and a nonce the page put in it, so a double submit is one event. */
const formId = (form: Form) =>
  `${form._csrf ?? ''}:${form._form ?? randomBytes(6).toString('hex')}`;

async function redirect(reply: FastifyReply, location: string): Promise<void> {
  await reply.status(303).headers({ location, 'cache-control': 'no-store' }).send();
}

/** Runs a form's action when the session is live and the form is its own (CSRF), else a page. */
async function withForm(
  centre: CentreContext,
  request: FastifyRequest<{ Body: Form }>,
  reply: FastifyReply,
  action: (session: CentreSession) => Promise<void>,
): Promise<void> {
  const session = centre.session(request);
  if (!session) return centre.problem(request, reply, 401, 'sessionExpired');
  if (!centre.sameOrigin(request) || !csrfMatches(session, request.body?._csrf))
    return centre.problem(request, reply, 403, 'formExpired');
  try {
    await action(session);
  } catch (error) {
    if (error instanceof UnknownPurposeError)
      return centre.problem(request, reply, 400, 'formExpired');
    throw error;
  }
}
