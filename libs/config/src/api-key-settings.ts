import type { CollectionChannel } from '@consent-ledger/consent-domain';
import { developmentSecrets } from './production-rules';

/** One caller of the HTTP API and what it may do. */
export interface ApiKey {
  readonly id: string;
  readonly secret: string;
  readonly scopes: readonly string[];
  /** The collection channels its events may claim; undefined when not bound. */
  readonly channels?: readonly CollectionChannel[];
}

/** Scopes: collection channels write, downstream systems read, auditors audit, admins administer. */
export const apiScopes = [
  'consent:write',
  'consent:read',
  'decision:read',
  /** Lets a decision's requested jurisdiction loosen the subject's own regime (not only tighten). */
  'decision:override-jurisdiction',
  'audit:read',
  /** Puts a subject's direct identifiers into the identity vault. */
  'identity:write',
  /** Reads identifiers back from the vault and looks subjects up by identifier. */
  'identity:read',
  /** Erases a subject (crypto-shredding; cannot be undone) and follows the erasure. */
  'erasure',
  /** Issues signed links into the preference centre (and one-click unsubscribe links). */
  'preference-link:issue',
  /**
   * Issues and checks the preference centre's sign-in codes. A code is asked for by email address,
   * so this scope finds people by identifier: the preference centre's own key holds it, no channel.
   */
  'one-time-code',
  /** Sees the detail of `/health` (cluster id, lag, errors); anyone sees up or down. */
  'operations',
  'admin',
] as const;
export type ApiScope = (typeof apiScopes)[number];

/** The documented key of the local stack; refused when NODE_ENV=production. */
export const DEVELOPMENT_API_KEY = developmentSecrets.apiKey;

/** `API_KEYS` (`id/secret/scope+scope[/CHANNEL+CHANNEL]` entries separated by `;`), or the development key. */
export function parseApiKeys(raw: string | undefined): ApiKey[] {
  if (!raw) return [{ id: 'development', secret: DEVELOPMENT_API_KEY, scopes: [...apiScopes] }];
  return raw.split(';').map((entry) => {
    const [id = '', secret = '', scopes = '', channels] = entry.split('/');
    return {
      id,
      secret,
      scopes: scopes.split('+'),
      ...(channels ? { channels: channels.split('+') as CollectionChannel[] } : {}),
    };
  });
}
