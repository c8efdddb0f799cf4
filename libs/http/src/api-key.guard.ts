import { timingSafeEqual, createHash } from 'node:crypto';
import { urlWithoutDirectIdentifiers } from './url-redaction';
import type { IncomingHttpHeaders } from 'node:http';
import {
  createParamDecorator,
  Inject,
  Injectable,
  Logger,
  Optional,
  SetMetadata,
} from '@nestjs/common';
import type { CanActivate, ExecutionContext, INestApplicationContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { API_KEY_SOURCE, APP_CONFIG } from '@consent-ledger/config';
import type {
  AdmittedKey,
  ApiKey,
  ApiKeySource,
  ApiScope,
  AppConfig,
} from '@consent-ledger/config';
import type { CollectionChannel } from '@consent-ledger/consent-domain';
import { AppError } from './app-error';

const SCOPES = 'consent-ledger:scopes';

/** The scopes a route needs; a route without it is public (health, metrics, docs). */
export const RequireScopes = (...scopes: ApiScope[]) => SetMetadata(SCOPES, scopes);

/** Who called, for logs and the usage log. */
export interface Caller {
  readonly keyId: string;
  readonly scopes: readonly string[];
  /** The collection channels the key may record events of; undefined when not bound. */
  readonly channels?: readonly CollectionChannel[];
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * API keys with scopes, from configuration: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
 * 401 without a known key, 403 without the required scopes. Keys are compared by digest in
 * constant time. Used by {@link ApiKeyGuard} and by routes served outside the framework
 * ({@link PlainJsonRoutes}).
 */
export class ApiKeyAuthenticator {
  private readonly keys: ReadonlyArray<ApiKey & { digest: Buffer }>;

  /**
   * With a `source` (the app's {@link ApiKeySource}: seeded and managed keys, kept current),
   * keys are found there by digest; without one, among `apiKeys`.
   */
  constructor(
    apiKeys: readonly ApiKey[],
    private readonly source?: ApiKeySource,
  ) {
    this.keys = apiKeys.map((key) => ({ ...key, digest: digest(key.secret) }));
  }

  private find(presented: Buffer): AdmittedKey | undefined {
    if (this.source) return this.source.find(presented);
    return this.keys.find((candidate) => timingSafeEqual(candidate.digest, presented));
  }

  /** The caller the headers' key identifies, if it holds every scope required; else AppError. */
  authenticate(headers: IncomingHttpHeaders, required: readonly ApiScope[]): Caller {
    const presentedDigest = presentedKeyDigest(headers);
    if (!presentedDigest) {
      throw new AppError(
        'AUTH.MISSING_KEY',
        'Authentication required',
        'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      );
    }
    const key = this.find(presentedDigest);
    if (!key)
      throw new AppError(
        'AUTH.UNKNOWN_KEY',
        'Authentication failed',
        'The API key is not recognised.',
      );
    const missing = required.filter((scope) => !key.scopes.includes(scope));
    if (missing.length > 0) {
      throw new AppError(
        'AUTH.MISSING_SCOPE',
        'Not allowed',
        `Key '${key.id}' lacks scope(s): ${missing.join(', ')}.`,
      );
    }
    return {
      keyId: key.id,
      scopes: key.scopes,
      ...(key.channels ? { channels: key.channels as CollectionChannel[] } : {}),
    };
  }
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/** Digests already taken, per request (its headers object): the rate limiter and the key check. */
const presentedDigests = new WeakMap<IncomingHttpHeaders, Buffer | null>();

/**
 * The SHA-256 of the API key the headers present (null without one), taken once per request
 * however many checks ask: the rate limiter counts by it, the authenticator compares it.
 */
export function presentedKeyDigest(headers: IncomingHttpHeaders): Buffer | null {
  let known = presentedDigests.get(headers);
  if (known === undefined) {
    const presented = presentedKey(headers);
    known = presented ? digest(presented) : null;
    presentedDigests.set(headers, known);
  }
  return known;
}

/**
 * What is logged of a request refused for its key: the code, the path, and the key id when the
 * key was known (never the key itself).
 */
export function authFailureLog(failure: AppError, path: string): Record<string, unknown> {
  const keyId = /^Key '([^']+)'/.exec(failure.detail)?.[1];
  return {
    msg: `authentication failed: ${failure.code}`,
    code: failure.code,
    status: failure.status,
    path: urlWithoutDirectIdentifiers(path),
    ...(keyId ? { keyId } : {}),
  };
}

/** Admits a request to a route with {@link RequireScopes} when its API key holds the scopes. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly authenticator: ApiKeyAuthenticator;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(API_KEY_SOURCE) source?: ApiKeySource,
  ) {
    this.authenticator = new ApiKeyAuthenticator(config.apiKeys, source);
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<ApiScope[] | undefined>(SCOPES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: IncomingHttpHeaders; url?: string; caller?: Caller }>();
    try {
      request.caller = this.authenticator.authenticate(request.headers, required);
    } catch (error) {
      if (error instanceof AppError)
        this.logger.warn(authFailureLog(error, (request.url ?? '').split('?')[0] ?? ''));
      throw error;
    }
    return true;
  }
}

/** The caller the guard admitted: its key id and scopes (none on public routes). */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller =>
    context.switchToHttp().getRequest<{ caller?: Caller }>().caller ?? {
      keyId: 'anonymous',
      scopes: [],
    },
);

/** The API key id of the caller the guard admitted, for the usage log ('anonymous' on public routes). */
export const CallerId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<{ caller?: Caller }>().caller?.keyId ?? 'anonymous',
);

/**
 * The app's key check outside the guard (early refusals, routes answered before Fastify, /docs):
 * the same keys the guard admits, managed ones included, when the app has a key source.
 */
export function appAuthenticator(app: INestApplicationContext, config: AppConfig) {
  let source: ApiKeySource | undefined;
  try {
    source = app.get<ApiKeySource>(API_KEY_SOURCE, { strict: false });
  } catch {
    source = undefined;
  }
  return new ApiKeyAuthenticator(config.apiKeys, source);
}
