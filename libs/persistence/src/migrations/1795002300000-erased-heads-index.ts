import { sqlMigration } from './sql-migration';

/**
 * The erased subjects' write heads: the expiry schedule and the lifecycle sender leave them out of
 * every page they read, and find the few among a page's subjects in this small index rather than by
 * visiting each subject's head.
 */
export const ErasedHeadsIndex1795002300000 = sqlMigration('ErasedHeadsIndex1795002300000', {
  up: [
    `CREATE INDEX consent_write_head_erased_idx ON consent_write_head (subject_id)
       WHERE erased_at IS NOT NULL`,
  ],
  down: ['DROP INDEX consent_write_head_erased_idx'],
});
