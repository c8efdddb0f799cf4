import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PreferenceChoices, RequestEvidence } from './choices/preference-choices';
import type { ConsentApiClient } from './ledger/consent-api.client';
import type { LinkVerifier } from './ledger/link-verifier';
import type { PageRenderer } from './pages/page-renderer';
import { cookieValue } from '@consent-ledger/signed-links';
import type { CentreSession, SessionCookies } from './session/session-cookie';
import { message } from './texts/centre-texts';
import type { CentreTexts } from './texts/centre-texts';
import { isLocale, negotiateLocale } from './texts/locales';
import type { Locale } from './texts/locales';

/** The cookie that keeps the language the person picked on the page. */
const LANGUAGE_COOKIE = 'pc-lang';

/** What every route of the centre works with. */
export interface CentreParts {
  readonly api: ConsentApiClient;
  readonly links: LinkVerifier;
  readonly sessions: SessionCookies;
  readonly texts: CentreTexts;
  readonly pages: PageRenderer;
  readonly choices: PreferenceChoices;
  /** The downstream systems a withdrawal reaches, as the confirmation page names them. */
  readonly systems: readonly string[];
  /** The Content-Security-Policy of every page (frame-ancestors from the configuration). */
  readonly contentSecurityPolicy: string;
  /** Whether the centre is served over https (Secure cookies). */
  readonly secure: boolean;
}

/** The helpers the routes share: language, session, evidence and answering with a page. */
export class CentreContext {
  constructor(readonly parts: CentreParts) {}

  /** The page's language; a `?lang=` from the switch is kept in a cookie for the next pages. */
  locale(request: FastifyRequest, reply: FastifyReply): Locale {
    const asked = (request.query as Record<string, unknown> | undefined)?.lang;
    if (isLocale(asked)) {
      void reply.header(
        'set-cookie',
        `${LANGUAGE_COOKIE}=${asked}; Path=/; Max-Age=31536000; SameSite=Lax${this.parts.secure ? '; Secure' : ''}`,
      );
      return asked;
    }
    return negotiateLocale(
      request.headers['accept-language'],
      cookieValue(request.headers.cookie, LANGUAGE_COOKIE),
    );
  }

  /**
   * Whether a form was sent from the centre's own pages: a browser names the page's origin on a
   * POST; one that names another origin is refused (with the session's token and SameSite=Lax
   * cookies, a third line against cross-site forms, sign-in forms included).
   */
  sameOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    return origin === undefined || origin === `${request.protocol}://${request.host}`;
  }

  session(request: FastifyRequest): CentreSession | undefined {
    return this.parts.sessions.read(request.headers.cookie, Math.floor(Date.now() / 1000));
  }

  evidence(request: FastifyRequest): RequestEvidence {
    return {
      ipAddress: request.ip ?? null,
      userAgent: request.headers['user-agent']?.slice(0, 1000) ?? null,
    };
  }

  t(locale: Locale, key: string, values?: Record<string, string>): string {
    return message(this.parts.texts, locale, key, values);
  }

  /** Answers with a page: never cached (it holds a person's choices), framed only where allowed. */
  async sendPage(reply: FastifyReply, status: number, html: string): Promise<void> {
    await reply
      .status(status)
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': this.parts.contentSecurityPolicy,
        'x-content-type-options': 'nosniff',
        // Same-origin, not no-referrer: browsers then name our origin on the forms' POSTs (checked),
        // and still send nothing to other sites.
        'referrer-policy': 'same-origin',
        'cache-control': 'no-store',
      })
      .send(html);
  }

  /** A clear page for what went wrong (an expired link, an old form): never a stack trace. */
  async problem(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    key: 'linkExpired' | 'linkInvalid' | 'sessionExpired' | 'formExpired' | 'unavailable',
  ): Promise<void> {
    const locale = this.locale(request, reply);
    const html = this.parts.pages.render(
      'problem',
      { locale, title: this.t(locale, `error.${key}.title`), path: request.url.split('?')[0]! },
      {
        text: this.t(locale, `error.${key}.text`),
        back: key === 'formExpired' || key === 'unavailable',
        signIn: key === 'linkExpired' || key === 'linkInvalid' || key === 'sessionExpired',
      },
    );
    await this.sendPage(reply, status, html);
  }
}
