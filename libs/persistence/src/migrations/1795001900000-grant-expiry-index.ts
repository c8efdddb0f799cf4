import { sqlMigration } from './sql-migration';

/**
 * The grants that expire, in expiry order: the API's expiry schedule asks for the next expiry
 * and for the grants lapsed by an instant, in pages, and neither may read every choice to find
 * them (a purpose's choices are in the tens of millions).
 */
export const GrantExpiryIndex1795001900000 = sqlMigration('GrantExpiryIndex1795001900000', {
  up: [
    `CREATE INDEX consent_choice_grant_expiry_idx ON consent_choice (expires_at, subject_id, purpose)
       WHERE action = 'GRANT' AND expires_at IS NOT NULL`,
  ],
  down: ['DROP INDEX consent_choice_grant_expiry_idx'],
});
