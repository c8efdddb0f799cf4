import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The local stack's session secret of the preference centre; refused in production. */
export const DEVELOPMENT_SESSION_SECRET = 'dev-preference-centre-session-secret-change-me';

/** The environment settings of signed preference links and the preference centre app. */
export const preferenceCentreEnvironment = {
  PREFERENCE_LINK_KEY_FILE: z.string().min(1).optional(),
  PREFERENCE_LINK_DEFAULT_TTL_HOURS: z.coerce.number().min(0.01).max(2_160).default(168),
  PREFERENCE_CENTRE_URL: z.url().default('http://127.0.0.1:3005'),
  CONSENT_API_URL: z.url().default('http://127.0.0.1:3000'),
  PREFERENCE_CENTRE_API_KEY: z.string().min(8).optional(),
  PREFERENCE_CENTRE_SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (it signs session cookies)')
    .default(DEVELOPMENT_SESSION_SECRET),
  PREFERENCE_CENTRE_SESSION_MINUTES: z.coerce.number().min(1).max(240).default(30),
  PREFERENCE_CENTRE_TEXTS_FILE: z.string().min(1).default('deploy/policy/preference-centre.yaml'),
  /** Origins that may frame the centre (CSP frame-ancestors), space-separated; none by default. */
  PREFERENCE_CENTRE_FRAME_ANCESTORS: z
    .string()
    .regex(/^(https?:\/\/[^\s/]+)( https?:\/\/[^\s/]+)*$/, 'must be origins separated by spaces')
    .optional(),
};

type PreferenceCentreEnvironment = z.output<z.ZodObject<typeof preferenceCentreEnvironment>>;

/** Signed links: where they are signed, for how long, and the centre they open. */
export interface PreferenceLinkSettings {
  readonly keyFile: string;
  readonly defaultTtlSeconds: number;
  /** The preference centre's public address: links point there. */
  readonly centreUrl: string;
}

/** The preference centre app: the consent API it records through, its sessions and texts. */
export interface PreferenceCentreSettings {
  readonly consentApiUrl: string;
  /** The centre's key for the consent API (role preference-centre); the development key by default. */
  readonly apiKey: string;
  readonly sessionSecret: string;
  readonly sessionSeconds: number;
  readonly textsFile: string;
  readonly frameAncestors: readonly string[];
}

export function preferenceLinkSettings(env: PreferenceCentreEnvironment): PreferenceLinkSettings {
  return {
    keyFile:
      env.PREFERENCE_LINK_KEY_FILE ??
      join(homedir(), '.cache', 'consent-ledger', 'keys', 'preference-link-keys.json'),
    defaultTtlSeconds: Math.round(env.PREFERENCE_LINK_DEFAULT_TTL_HOURS * 3_600),
    centreUrl: env.PREFERENCE_CENTRE_URL.replace(/\/$/, ''),
  };
}

export function preferenceCentreSettings(
  env: PreferenceCentreEnvironment,
  developmentApiKey: string,
): PreferenceCentreSettings {
  return {
    consentApiUrl: env.CONSENT_API_URL.replace(/\/$/, ''),
    apiKey: env.PREFERENCE_CENTRE_API_KEY ?? developmentApiKey,
    sessionSecret: env.PREFERENCE_CENTRE_SESSION_SECRET,
    sessionSeconds: env.PREFERENCE_CENTRE_SESSION_MINUTES * 60,
    textsFile: env.PREFERENCE_CENTRE_TEXTS_FILE,
    frameAncestors: env.PREFERENCE_CENTRE_FRAME_ANCESTORS?.split(' ') ?? [],
  };
}
