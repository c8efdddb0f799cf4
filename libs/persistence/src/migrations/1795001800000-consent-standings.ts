import { sqlMigration } from './sql-migration';

/**
 * What the compliance dashboard reads, kept by the projector in the transaction that moves its
 * checkpoint: each subject's standing per consent-based purpose (for the paged lists behind a
 * count), the number of subjects per purpose, jurisdiction and standing (so that no view counts a
 * table), and per-day tallies of agreements, declines, revocations and the change of the active
 * count (the rates over time). Counts are kept per shard (the source partition), so that the
 * projector's parallel writers never wait on each other's rows; a view adds the shards up.
 * `consent_standing_basis` holds the fingerprint of the taxonomy and notice minimums the rows were
 * counted under: when it differs, the projector counts again from the read model.
 */
export const ConsentStandings1795001800000 = sqlMigration('ConsentStandings1795001800000', {
  up: [
    `
      CREATE TABLE consent_standing (
        subject_id   text        NOT NULL,
        purpose      text        NOT NULL,
        standing     text        NOT NULL,
        jurisdiction text        NOT NULL,
        since        timestamptz NOT NULL,
        PRIMARY KEY (subject_id, purpose)
      )`,
    'CREATE INDEX consent_standing_list_idx ON consent_standing (purpose, standing, jurisdiction, subject_id)',
    `
      CREATE TABLE consent_standing_count (
        shard        integer NOT NULL,
        purpose      text    NOT NULL,
        jurisdiction text    NOT NULL,
        standing     text    NOT NULL,
        subjects     bigint  NOT NULL,
        PRIMARY KEY (shard, purpose, jurisdiction, standing)
      )`,
    `
      CREATE TABLE consent_daily_tally (
        shard         integer NOT NULL,
        day           date    NOT NULL,
        purpose       text    NOT NULL,
        jurisdiction  text    NOT NULL,
        grants        bigint  NOT NULL,
        declines      bigint  NOT NULL,
        revocations   bigint  NOT NULL,
        active_change bigint  NOT NULL,
        PRIMARY KEY (shard, day, purpose, jurisdiction)
      )`,
    `
      CREATE TABLE consent_standing_basis (
        singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
        fingerprint text        NOT NULL,
        counted_at  timestamptz NOT NULL DEFAULT now()
      )`,
  ],
  down: [
    'DROP TABLE consent_standing_basis',
    'DROP TABLE consent_daily_tally',
    'DROP TABLE consent_standing_count',
    'DROP TABLE consent_standing',
  ],
});
