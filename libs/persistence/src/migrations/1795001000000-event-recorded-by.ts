import { sqlMigration } from './sql-migration';

/**
 * Every consent event says who wrote it: the API key id whose request recorded it, or
 * system:<component> for the system's own events (null for events written before it was kept).
 */
export const EventRecordedBy1795001000000 = sqlMigration('EventRecordedBy1795001000000', {
  up: [`ALTER TABLE consent_event ADD COLUMN recorded_by text`],
  down: [`ALTER TABLE consent_event DROP COLUMN recorded_by`],
});
