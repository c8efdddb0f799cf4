import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CentreContext } from '../centre-context';

type Params = { Params: { token: string } };

/**
 * RFC 8058 one-click unsubscribe. `POST /unsubscribe/{token}` (body `List-Unsubscribe=One-Click`,
 * as mail clients send it: no cookie, no page, no CSRF token) withdraws the link's purpose at once.
 * `GET` never changes anything (mail scanners follow links): it shows a page with one button that
 * sends the same POST.
 */
export function registerUnsubscribeRoutes(fastify: FastifyInstance, centre: CentreContext): void {
  fastify.get<Params>('/unsubscribe/:token', async (request, reply) => {
    const link = await verifiedUnsubscribeLink(centre, request, reply);
    if (!link) return;
    const locale = centre.locale(request, reply);
    const title = centre.t(locale, 'unsubscribe.title', {
      title: purposeTitle(centre, link.purpose, locale),
    });
    await centre.sendPage(
      reply,
      200,
      centre.parts.pages.render(
        'unsubscribe',
        { locale, title, path: request.url.split('?')[0]! },
        {
          action: `/unsubscribe/${request.params.token}`,
        },
      ),
    );
  });
  fastify.post<Params>('/unsubscribe/:token', async (request, reply) => {
    const link = await verifiedUnsubscribeLink(centre, request, reply);
    if (!link) return;
    await centre.parts.choices.unsubscribe(link, request.params.token, centre.evidence(request));
    const locale = centre.locale(request, reply);
    const title = purposeTitle(centre, link.purpose, locale);
    await centre.sendPage(
      reply,
      200,
      centre.parts.pages.render(
        'unsubscribed',
        { locale, title: centre.t(locale, 'unsubscribe.title', { title }), path: '/unsubscribe' },
        { purposeTitle: title },
      ),
    );
  });
}

async function verifiedUnsubscribeLink(
  centre: CentreContext,
  request: FastifyRequest<Params>,
  reply: FastifyReply,
): Promise<{ subjectId: string; jurisdiction: string | null; purpose: string } | undefined> {
  const verified = await centre.parts.links.verify(request.params.token);
  if (verified.ok && verified.claims.purpose)
    return { ...verified.claims, purpose: verified.claims.purpose };
  const expired = !verified.ok && verified.refusal === 'LINK.EXPIRED';
  await centre.problem(
    request,
    reply,
    expired ? 410 : 400,
    expired ? 'linkExpired' : 'linkInvalid',
  );
  return undefined;
}

function purposeTitle(
  centre: CentreContext,
  purpose: string,
  locale: 'en' | 'de' | 'fr' | 'es',
): string {
  return (
    centre.parts.texts.purposes.find((entry) => entry.id === purpose)?.texts[locale].title ??
    purpose
  );
}
