import type { FastifyInstance } from 'fastify';
import type { CentreContext } from '../centre-context';

/**
 * `GET /p/{token}`: a signed link from the operator opens a short session and sends the person on
 * to their choices, so the link itself leaves the address bar (and any later Referer). An expired
 * or altered link gets a page that says so and what to do.
 */
export function registerEntryRoutes(fastify: FastifyInstance, centre: CentreContext): void {
  fastify.get<{ Params: { token: string } }>('/p/:token', async (request, reply) => {
    const verified = await centre.parts.links.verify(request.params.token);
    if (!verified.ok)
      return centre.problem(
        request,
        reply,
        verified.refusal === 'LINK.EXPIRED' ? 410 : 400,
        verified.refusal === 'LINK.EXPIRED' ? 'linkExpired' : 'linkInvalid',
      );
    const { subjectId } = verified.claims;
    // Resolved once here, so that no page of the session has to ask the ledger for it again.
    const jurisdiction = await centre.parts.choices.jurisdictionOf(verified.claims);
    const session = centre.parts.sessions.open(
      subjectId,
      jurisdiction,
      verified.keyId,
      Math.floor(Date.now() / 1000),
    );
    await reply
      .status(303)
      .headers({
        'set-cookie': centre.parts.sessions.header(session),
        location: '/preferences',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      })
      .send();
  });
}
