import { sqlMigration } from './sql-migration';

/**
 * The ML-training exclusion table keeps when an allowing decision stops by itself (the grant's
 * expiry), so that a manifest leaves out a person from that instant, before the EXPIRE arrives.
 */
export const ExclusionAllowedUntil1795002000000 = sqlMigration(
  'ExclusionAllowedUntil1795002000000',
  {
    up: ['ALTER TABLE ml_training_exclusion ADD COLUMN allowed_until timestamptz'],
    down: ['ALTER TABLE ml_training_exclusion DROP COLUMN allowed_until'],
  },
);
