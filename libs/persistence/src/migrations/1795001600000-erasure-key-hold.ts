import { sqlMigration } from './sql-migration';

/**
 * Erasures whose data key is held for the downstream systems that address the person through the
 * identity vault (an email platform keyed by email) are found by a partial index: the sweep that
 * destroys their keys once those systems confirmed reads only them.
 */
export const ErasureKeyHold1795001600000 = sqlMigration('ErasureKeyHold1795001600000', {
  up: [
    `CREATE INDEX erasure_request_key_held_idx ON erasure_request (requested_at)
       WHERE event_id IS NOT NULL AND key_destroyed_at IS NULL`,
  ],
  down: ['DROP INDEX erasure_request_key_held_idx'],
});
