import { createHmac, randomBytes } from 'node:crypto';
import { cookieValue, sameText } from '@consent-ledger/signed-links';

/** One person's short session in the centre, opened by a verified link. */
export interface CentreSession {
  readonly subjectId: string;
  readonly jurisdiction: string | null;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  /** The synchronizer token every form of this session carries (CSRF). */
  readonly csrf: string;
  /** The link's signing key, for the evidence of what the person changed. */
  readonly linkKeyId: string;
}

/**
 * Sessions kept in the cookie itself, signed (HMAC-SHA256 under the centre's session secret): the
 * centre holds no session store, and a cookie changed by hand is refused. Short-lived
 * (PREFERENCE_CENTRE_SESSION_MINUTES); the cookie is HttpOnly, SameSite=Lax, and Secure with the
 * `__Host-` prefix when the centre is served over https.
 */
export class SessionCookies {
  readonly name: string;

  /**
   * `embeddable`: the centre may be framed by the operator's site (PREFERENCE_CENTRE_FRAME_ANCESTORS),
   * where a SameSite=Lax cookie is not sent: the session cookie is then SameSite=None, Secure and
   * Partitioned (CHIPS), kept per embedding site.
   */
  constructor(
    private readonly secret: string,
    private readonly lifetimeSeconds: number,
    private readonly secure: boolean,
    private readonly embeddable = false,
  ) {
    this.name = secure ? '__Host-pc-session' : 'pc-session';
  }

  open(
    subjectId: string,
    jurisdiction: string | null,
    linkKeyId: string,
    now: number,
  ): CentreSession {
    return {
      subjectId,
      jurisdiction,
      linkKeyId,
      expiresAt: now + this.lifetimeSeconds,
      csrf: randomBytes(18).toString('base64url'),
    };
  }

  /** The Set-Cookie header value that keeps the session. */
  header(session: CentreSession): string {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return this.cookie(`${payload}.${this.sign(payload)}`, this.lifetimeSeconds);
  }

  /** The Set-Cookie header value that ends the session. */
  clearing(): string {
    return this.cookie('', 0);
  }

  /** The session in a Cookie header, if it is genuine and not expired. */
  read(cookieHeader: string | undefined, now: number): CentreSession | undefined {
    const value = cookieValue(cookieHeader, this.name);
    const [payload, signature] = value?.split('.') ?? [];
    if (!payload || !signature || !sameText(signature, this.sign(payload))) return undefined;
    try {
      const session = JSON.parse(
        Buffer.from(payload, 'base64url').toString('utf8'),
      ) as CentreSession;
      return session.expiresAt > now ? session : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  private cookie(value: string, maxAge: number): string {
    return [
      `${this.name}=${value}`,
      'Path=/',
      `Max-Age=${maxAge}`,
      'HttpOnly',
      ...(this.embeddable ? ['SameSite=None', 'Secure', 'Partitioned'] : ['SameSite=Lax']),
      ...(this.secure && !this.embeddable ? ['Secure'] : []),
    ].join('; ');
  }
}

/** Whether a form's token is its session's (constant time). */
export function csrfMatches(session: CentreSession, token: unknown): boolean {
  return typeof token === 'string' && sameText(token, session.csrf);
}

/** The sign-in in progress: which code was sent, until when (a signed cookie of its own). */
export interface PendingCode {
  readonly codeId: string;
  readonly expiresAt: number;
}

/** The cookie that remembers which code was sent, signed like the session. */
export class PendingCodeCookies {
  readonly name: string;

  constructor(
    private readonly secret: string,
    private readonly secure: boolean,
  ) {
    this.name = secure ? '__Host-pc-code' : 'pc-code';
  }

  header(pending: PendingCode, now: number): string {
    const payload = Buffer.from(JSON.stringify(pending)).toString('base64url');
    const signature = createHmac('sha256', this.secret)
      .update(`code.${payload}`)
      .digest('base64url');
    return [
      `${this.name}=${payload}.${signature}`,
      'Path=/sign-in',
      `Max-Age=${Math.max(0, pending.expiresAt - now)}`,
      'HttpOnly',
      'SameSite=Lax',
      ...(this.secure ? ['Secure'] : []),
    ].join('; ');
  }

  read(cookieHeader: string | undefined, now: number): PendingCode | undefined {
    const [payload, signature] = cookieValue(cookieHeader, this.name)?.split('.') ?? [];
    if (!payload || !signature) return undefined;
    const expected = createHmac('sha256', this.secret)
      .update(`code.${payload}`)
      .digest('base64url');
    if (!sameText(signature, expected)) return undefined;
    try {
      const pending = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PendingCode;
      return pending.expiresAt > now ? pending : undefined;
    } catch {
      return undefined;
    }
  }
}
