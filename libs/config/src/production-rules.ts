import { DEVELOPMENT_SESSION_SECRET } from './preference-centre-settings';

/** The values of the local stack that must never reach production, refused by value. */
export const developmentSecrets = {
  apiKey: 'dev-local-key-change-me',
  anonymizationKey: 'dev-anonymization-key-change-me',
  emailPlatformApiKey: 'dev-email-platform-key',
  crmApiKey: 'dev-crm-key',
} as const;

/** The local stack's secrets of the compliance dashboard; both refused in production. */
export const DEVELOPMENT_DASHBOARD_SECRETS = {
  sessionSecret: 'dev-compliance-dashboard-session-secret-change-me',
  oidcClientSecret: 'dev-compliance-dashboard-client-secret',
} as const;

/** Shortest secret we accept in production (API key secrets, the anonymisation key). */
export const MIN_PRODUCTION_SECRET_LENGTH = 32;

/** The settings the production rules read (as validated, before defaults are filled in). */
export interface ProductionSettings {
  readonly API_KEYS?: string | undefined;
  readonly ANONYMIZATION_KEY?: string | undefined;
  readonly EMAIL_PLATFORM_API_KEY: string;
  readonly CRM_API_KEY: string;
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SASL_MECHANISM?: string | undefined;
  readonly DATABASE_SSL: boolean;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly EMAIL_PLATFORM_URL: string;
  readonly CRM_URL: string;
  readonly PREFERENCE_CENTRE_SESSION_SECRET: string;
  readonly PREFERENCE_CENTRE_URL: string;
  readonly DASHBOARD_SESSION_SECRET: string;
  readonly OIDC_CLIENT_SECRET: string;
  readonly OIDC_ISSUER_URL: string;
}

export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
}

/**
 * What a production configuration may not be: without its own API keys and anonymisation key,
 * with any development secret (by value) or a secret shorter than 32 characters, or with a
 * connection in the clear to Kafka, PostgreSQL, the registry or a vendor. Messages name the
 * setting and never its value.
 */
export function productionProblems(env: ProductionSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const problem = (setting: string, message: string) => problems.push({ setting, message });

  if (!env.API_KEYS) problem('API_KEYS', 'is required in production');
  for (const [index, entry] of (env.API_KEYS ?? '').split(';').entries()) {
    if (!env.API_KEYS) break;
    const [id = '', secret = ''] = entry.split('/');
    if (secret === developmentSecrets.apiKey)
      problem('API_KEYS', `key '${id}' uses the development key, refused in production`);
    else if (secret.length < MIN_PRODUCTION_SECRET_LENGTH)
      problem(
        'API_KEYS',
        `key '${id || `#${index + 1}`}' has a secret shorter than ${MIN_PRODUCTION_SECRET_LENGTH} characters`,
      );
  }
  if (!env.ANONYMIZATION_KEY) problem('ANONYMIZATION_KEY', 'is required in production');
  else if (env.ANONYMIZATION_KEY === developmentSecrets.anonymizationKey)
    problem('ANONYMIZATION_KEY', 'is the development key, refused in production');
  else if (env.ANONYMIZATION_KEY.length < MIN_PRODUCTION_SECRET_LENGTH)
    problem(
      'ANONYMIZATION_KEY',
      `must be at least ${MIN_PRODUCTION_SECRET_LENGTH} characters in production`,
    );
  if (env.EMAIL_PLATFORM_API_KEY === developmentSecrets.emailPlatformApiKey)
    problem('EMAIL_PLATFORM_API_KEY', "is the development value; set the email platform's key");
  if (env.CRM_API_KEY === developmentSecrets.crmApiKey)
    problem('CRM_API_KEY', "is the development value; set the CRM's key");

  if (!env.KAFKA_SSL)
    problem(
      'KAFKA_SSL',
      env.KAFKA_SASL_MECHANISM === 'plain'
        ? 'must be true in production: SASL PLAIN over plaintext sends the password in the clear'
        : 'must be true in production (TLS to the brokers)',
    );
  if (!env.DATABASE_SSL) problem('DATABASE_SSL', 'must be true in production (TLS to PostgreSQL)');
  if (env.PREFERENCE_CENTRE_SESSION_SECRET === DEVELOPMENT_SESSION_SECRET)
    problem('PREFERENCE_CENTRE_SESSION_SECRET', 'is the development value, refused in production');
  if (env.DASHBOARD_SESSION_SECRET === DEVELOPMENT_DASHBOARD_SECRETS.sessionSecret)
    problem('DASHBOARD_SESSION_SECRET', 'is the development value, refused in production');
  if (env.OIDC_CLIENT_SECRET === DEVELOPMENT_DASHBOARD_SECRETS.oidcClientSecret)
    problem(
      'OIDC_CLIENT_SECRET',
      "is the development value; set the identity provider's client secret",
    );
  if (!env.OIDC_ISSUER_URL.startsWith('https://'))
    problem(
      'OIDC_ISSUER_URL',
      'must be https in production (sign-in codes and tokens travel there)',
    );
  for (const setting of [
    'SCHEMA_REGISTRY_URL',
    'EMAIL_PLATFORM_URL',
    'CRM_URL',
    // Links to it travel in emails, and its session cookie is Secure.
    'PREFERENCE_CENTRE_URL',
  ] as const) {
    if (!env[setting].toLowerCase().startsWith('https://'))
      problem(setting, 'must be an https:// URL in production');
  }
  return problems;
}
