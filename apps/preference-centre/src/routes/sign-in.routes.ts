import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CentreContext } from '../centre-context';
import { AttemptLimiter } from '../sign-in/attempt-limiter';
import type { EmailPlatformCodeSender } from '../sign-in/code-sender';
import type { PendingCodeCookies } from '../session/session-cookie';

type Form = Record<string, string | undefined>;

/** What the sign-in routes need beside the centre's parts. */
export interface SignInParts {
  readonly sender: EmailPlatformCodeSender;
  readonly pendingCodes: PendingCodeCookies;
}

/** Per visitor's address: codes asked for, and codes tried, per ten minutes. */
const WINDOW_MS = 10 * 60_000;

/**
 * For a person who arrives with nothing: `GET /sign-in` asks for their email address, `POST` has
 * the consent API issue a code for the one person holding that address in the vault and sends it
 * through the email platform, then asks for the code; the page says the same whether the address
 * was known or not. A right code opens the person's session, as a link does.
 */
export function registerSignInRoutes(
  fastify: FastifyInstance,
  centre: CentreContext,
  { sender, pendingCodes }: SignInParts,
): void {
  const asks = new AttemptLimiter(5, WINDOW_MS);
  const tries = new AttemptLimiter(10, WINDOW_MS);
  fastify.get('/sign-in', (request, reply) => page(centre, request, reply, 'sign-in', 200));
  fastify.post<{ Body: Form }>('/sign-in', (request, reply) =>
    askForCode(centre, request, reply, { sender, pendingCodes, asks }),
  );
  fastify.post<{ Body: Form }>('/sign-in/code', (request, reply) =>
    openWithCode(centre, request, reply, pendingCodes, tries),
  );
}

/** Issues and sends a code when the address is one person's; the same page in every case. */
async function askForCode(
  centre: CentreContext,
  request: FastifyRequest<{ Body: Form }>,
  reply: FastifyReply,
  { sender, pendingCodes, asks }: SignInParts & { readonly asks: AttemptLimiter },
): Promise<void> {
  if (!centre.sameOrigin(request)) return centre.problem(request, reply, 403, 'formExpired');
  const email = (request.body?.email ?? '').trim().slice(0, 254);
  if (!/^[^\s@]+@[^\s@]+$/.test(email))
    return page(centre, request, reply, 'sign-in', 422, { invalidEmail: true, email });
  if (asks.take(request.ip)) {
    const issued = await centre.parts.api.issueCode(email);
    if (issued) {
      await sender.send(issued, email, centre.locale(request, reply));
      const expiresAt = Math.floor(Date.parse(issued.expiresAt) / 1000);
      void reply.header(
        'set-cookie',
        pendingCodes.header({ codeId: issued.codeId, expiresAt }, Math.floor(Date.now() / 1000)),
      );
    }
  }
  // The same answer whether the address is known, unknown or over its limit.
  return page(centre, request, reply, 'sign-in-code', 200);
}

/** A right code opens the person's session, as a link does. */
async function openWithCode(
  centre: CentreContext,
  request: FastifyRequest<{ Body: Form }>,
  reply: FastifyReply,
  pendingCodes: PendingCodeCookies,
  tries: AttemptLimiter,
): Promise<void> {
  if (!centre.sameOrigin(request)) return centre.problem(request, reply, 403, 'formExpired');
  const pending = pendingCodes.read(request.headers.cookie, Math.floor(Date.now() / 1000));
  const code = (request.body?.code ?? '').replace(/\s/g, '');
  const opened =
    pending && /^\d{6}$/.test(code) && tries.take(request.ip)
      ? await centre.parts.api.verifyCode(pending.codeId, code)
      : undefined;
  if (!opened) return page(centre, request, reply, 'sign-in-code', 422, { invalidCode: true });
  const session = centre.parts.sessions.open(
    opened.subjectId,
    await centre.parts.choices.jurisdictionOf(opened),
    'one-time-code',
    Math.floor(Date.now() / 1000),
  );
  await reply
    .status(303)
    .headers({ 'set-cookie': centre.parts.sessions.header(session), location: '/preferences' })
    .send();
}

async function page(
  centre: CentreContext,
  request: FastifyRequest,
  reply: FastifyReply,
  name: 'sign-in' | 'sign-in-code',
  status: number,
  model: Record<string, unknown> = {},
): Promise<void> {
  const locale = centre.locale(request, reply);
  const title = centre.t(locale, name === 'sign-in' ? 'signIn.title' : 'code.title');
  const html = centre.parts.pages.render(
    'sign-in' === name ? 'sign-in' : 'sign-in-code',
    {
      locale,
      title,
      path: request.url.split('?')[0]!,
    },
    model,
  );
  await centre.sendPage(reply, status, html);
}
