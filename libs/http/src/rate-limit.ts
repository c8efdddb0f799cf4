import type { IncomingHttpHeaders } from 'node:http';
import rateLimit from '@fastify/rate-limit';
// The plugin's own in-memory store, so that routes served before Fastify count the same way.
import LocalStore from '@fastify/rate-limit/store/LocalStore';
import type { FastifyInstance } from 'fastify';
import { presentedKeyDigest } from './api-key.guard';
import { AppError } from './app-error';

export interface RateLimitSettings {
  /** Requests one API key (or, without a key, one address) may make per window. */
  readonly maxPerWindow: number;
  readonly windowMs: number;
}

/** Routes every prober and scraper calls, never limited. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);

/** Keys seen per window that the store remembers (least recently used go first). */
const REMEMBERED_CALLERS = 50_000;

/**
 * Whom a request counts against: the API key it presents (hashed: the store never holds a
 * secret), or its address when it presents none.
 */
export function rateLimitKey(headers: IncomingHttpHeaders, address: string): string {
  const presented = presentedKeyDigest(headers);
  return presented ? `key:${presented.toString('base64url')}` : `address:${address}`;
}

const tooManyRequests = (settings: RateLimitSettings, retryAfterSeconds: number) =>
  new AppError(
    'REQUEST.RATE_LIMITED',
    'Too many requests',
    `This key may make ${settings.maxPerWindow} requests per ${settings.windowMs} ms; retry after ${retryAfterSeconds} s.`,
    [],
    retryAfterSeconds,
  );

/**
 * Per-key rate limits for a Fastify app (@fastify/rate-limit, checked when the request arrives,
 * before its body is read): past the limit, 429 problem+json with Retry-After. The counts live in
 * the limiter's store, which routes served before Fastify share.
 */
export async function registerRateLimit(
  fastify: FastifyInstance,
  limiter: RequestRateLimiter,
): Promise<void> {
  const { settings, store: shared } = limiter;
  /** The plugin builds its store from a class, and a child per route: all are the one store. */
  class SharedStore {
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow?: number,
      max?: number,
    ): void {
      shared.incr(key, callback, timeWindow ?? settings.windowMs, max ?? settings.maxPerWindow);
    }
    child(): SharedStore {
      return this;
    }
  }
  await fastify.register(rateLimit, {
    global: true,
    store: SharedStore,
    hook: 'onRequest',
    max: settings.maxPerWindow,
    timeWindow: settings.windowMs,
    allowList: (request) => UNLIMITED_PATHS.has(request.url.split('?')[0] ?? ''),
    keyGenerator: (request) => rateLimitKey(request.headers, request.ip),
    errorResponseBuilder: (_request, context) =>
      tooManyRequests(settings, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

/**
 * Per-key request counts in @fastify/rate-limit's own in-memory store: registered on a Fastify
 * app by {@link registerRateLimit}, and taken directly by routes served before Fastify
 * (PlainJsonRoutes), so both kinds of route count against one limit.
 */
export class RequestRateLimiter {
  readonly store = new LocalStore(false, false, REMEMBERED_CALLERS);

  constructor(readonly settings: RateLimitSettings) {}

  /** Counts the request; throws the 429 AppError when the caller is past its limit. */
  take(headers: IncomingHttpHeaders, address: string): void {
    let outcome: { current: number; ttl: number } | undefined;
    this.store.incr(
      rateLimitKey(headers, address),
      (_error, result) => (outcome = result),
      this.settings.windowMs,
      this.settings.maxPerWindow,
    );
    if (outcome && outcome.current > this.settings.maxPerWindow)
      throw tooManyRequests(this.settings, Math.max(1, Math.ceil(outcome.ttl / 1000)));
  }
}
