import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed cookie holds: anything JSON, with its expiry (seconds since the epoch). */
export interface Expiring {
  readonly expiresAt: number;
}

export interface SignedCookieOptions {
  /** The cookie's name; `__Host-` is put before it when secure. */
  readonly name: string;
  /** Signs (HMAC-SHA256) the value together with `purpose`, so one cookie never passes as another. */
  readonly secret: string;
  readonly purpose: string;
  readonly secure: boolean;
  /** Path=/ by default (required with `__Host-`). */
  readonly path?: string;
}

/**
 * A value kept in a cookie, signed so that one changed by hand is refused, HttpOnly and
 * SameSite=Lax (sent on the top-level navigation back from an identity provider), Secure with the
 * `__Host-` prefix over https. The app keeps no session store.
 */
export class SignedCookie<T extends Expiring> {
  readonly name: string;

  constructor(private readonly options: SignedCookieOptions) {
    this.name = options.secure ? `__Host-${options.name}` : options.name;
  }

  /** The Set-Cookie header value that keeps `value` until its expiry. */
  header(value: T, now: number): string {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    return this.cookie(`${payload}.${this.sign(payload)}`, Math.max(0, value.expiresAt - now));
  }

  /** The Set-Cookie header value that removes the cookie. */
  clearing(): string {
    return this.cookie('', 0);
  }

  /** The value in a Cookie header, if it is genuine and not expired. */
  read(cookieHeader: string | undefined, now: number): T | undefined {
    const [payload, signature] = cookieValue(cookieHeader, this.name)?.split('.') ?? [];
    if (!payload || !signature || !sameText(signature, this.sign(payload))) return undefined;
    try {
      const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as T;
      return typeof value.expiresAt === 'number' && value.expiresAt > now ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.options.secret)
      .update(`${this.options.purpose}.${payload}`)
      .digest('base64url');
  }

  private cookie(value: string, maxAge: number): string {
    return [
      `${this.name}=${value}`,
      `Path=${this.options.path ?? '/'}`,
      `Max-Age=${maxAge}`,
      'HttpOnly',
      'SameSite=Lax',
      ...(this.options.secure ? ['Secure'] : []),
    ].join('; ');
  }
}

/** A cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const equals = part.indexOf('=');
    if (equals > 0 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}

/** Whether two texts are equal, in constant time for texts of one length. */
export function sameText(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}
