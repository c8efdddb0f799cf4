import { sqlMigration } from './sql-migration';

/**
 * A decision's usage record says under which regime it was decided and, when the request named a
 * jurisdiction that decided, which one: an auditor can tell an answer given under the subject's
 * own rules from one given under a jurisdiction the caller claimed.
 */
export const UsageJurisdiction1795000900000 = sqlMigration('UsageJurisdiction1795000900000', {
  up: [`ALTER TABLE consent_usage ADD COLUMN regime text, ADD COLUMN jurisdiction text`],
  down: [`ALTER TABLE consent_usage DROP COLUMN regime, DROP COLUMN jurisdiction`],
});
