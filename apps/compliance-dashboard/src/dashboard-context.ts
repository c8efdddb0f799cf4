import type { FastifyReply, FastifyRequest } from 'fastify';
import { viewsOpenTo } from './access/dashboard-access';
import type { DashboardView } from './access/dashboard-access';
import type { DashboardSources } from './dashboard-sources';
import type { LiveHub } from './live/live-hub';
import { VIEW_TITLES } from './pages/page-renderer';
import type { PageFrame, PageRenderer } from './pages/page-renderer';
import type { dashboardCookies, DashboardSession } from './sign-in/dashboard-session';
import type { OidcSignIn } from './sign-in/oidc-sign-in';

/** A signed-in person who may see the view asked for. */
export interface Admitted {
  readonly session: DashboardSession;
  readonly views: readonly DashboardView[];
}

/** The dashboard's parts, shared by its routes. */
export interface DashboardParts {
  readonly sources: DashboardSources;
  readonly pages: PageRenderer;
  readonly cookies: ReturnType<typeof dashboardCookies>;
  readonly signIn: OidcSignIn;
  readonly hub: LiveHub;
  /** The dashboard's API key for the auditor's API (the proofs findings link to). */
  readonly apiKey: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * What every route needs: who is signed in and what they may see, and how a page or a refusal is
 * written. A person not signed in is sent to sign in (a page) or told 401 (a feed or an export);
 * a person whose roles do not open the view is told 403 with the reason.
 */
export class DashboardContext {
  constructor(readonly parts: DashboardParts) {}

  session(request: FastifyRequest): DashboardSession | undefined {
    return this.parts.cookies.session.read(request.headers.cookie, nowSeconds());
  }

  /** The person, if signed in and the view is open to them; otherwise the reply is sent. */
  async admit(
    request: FastifyRequest,
    reply: FastifyReply,
    view: DashboardView,
  ): Promise<Admitted | undefined> {
    const session = this.session(request);
    if (!session) {
      const page = request.method === 'GET' && !/\.(csv|svg)$|^\/live/.test(request.url);
      if (page) {
        await reply.redirect(`/sign-in?return=${encodeURIComponent(request.url)}`, 303);
      } else {
        await this.problem(reply, 401, 'Sign in first', 'Your session has ended. Sign in again.', {
          signIn: true,
        });
      }
      return undefined;
    }
    const views = viewsOpenTo(session.scopes);
    if (!views.includes(view)) {
      await this.problem(
        reply,
        403,
        'Not open to your role',
        views.length === 0
          ? `Your roles (${session.roles.join(', ') || 'none'}) give no access to the compliance dashboard. Ask an administrator for the compliance officer, auditor or admin role.`
          : `${VIEW_TITLES[view]} is not open to your roles (${session.roles.join(', ')}).`,
        { home: views.length > 0 },
        session,
      );
      return undefined;
    }
    return { session, views };
  }

  /** Sends a page of the view. */
  send(reply: FastifyReply, page: string, frame: PageFrame, model: Record<string, unknown> = {}) {
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(this.parts.pages.render(page, frame, model));
  }

  /** A refusal or failure as a page (the status says what it is). */
  problem(
    reply: FastifyReply,
    status: number,
    title: string,
    message: string,
    links: { signIn?: boolean; home?: boolean } = {},
    session?: DashboardSession,
  ) {
    return reply
      .status(status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        this.parts.pages.render(
          'problem',
          { title, ...(session ? { session, views: viewsOpenTo(session.scopes) } : {}) },
          { message, ...links },
        ),
      );
  }
}
