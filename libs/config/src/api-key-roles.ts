import { apiScopes } from './api-key-settings';
import type { ApiScope } from './api-key-settings';

/**
 * Named roles: the scopes a kind of caller needs, so that a key is given a role rather than a
 * hand-picked list. `admin` holds every scope.
 */
export const API_KEY_ROLES = {
  /**
   * A collection channel: records choices, reads a subject's consents back, and issues links into
   * the preference centre (the operator's backend and its email templates).
   */
  collector: ['consent:write', 'consent:read', 'preference-link:issue'],
  /**
   * The preference centre: records people's own choices, reads them back, and signs them in by a
   * code sent to their email address.
   */
  'preference-centre': ['consent:write', 'consent:read', 'preference-link:issue', 'one-time-code'],
  /** A downstream system: asks for decisions. */
  downstream: ['decision:read', 'consent:read'],
  /** An auditor or compliance officer: reads the audit API. */
  auditor: ['audit:read', 'consent:read'],
  /** A support agent: sees a subject's consents and identifiers, records choices on their behalf. */
  support: ['consent:read', 'consent:write', 'identity:read'],
  admin: [...apiScopes],
} as const satisfies Record<string, readonly ApiScope[]>;

export type ApiKeyRole = keyof typeof API_KEY_ROLES;

export const apiKeyRoles = Object.keys(API_KEY_ROLES) as ApiKeyRole[];

/** The DI token of the {@link ApiKeySource} every app's key guard asks, when the app has one. */
export const API_KEY_SOURCE = Symbol('API_KEY_SOURCE');

/** A key as the guard admits it: who, with which scopes and channels. */
export interface AdmittedKey {
  readonly id: string;
  readonly scopes: readonly string[];
  readonly channels?: readonly string[];
}

/** Where the guard finds the key a request presents, by the SHA-256 of its secret. */
export interface ApiKeySource {
  /** The key whose secret has this SHA-256, if it is valid now (not revoked, not expired). */
  find(secretSha256: Buffer, now?: Date): AdmittedKey | undefined;
}
