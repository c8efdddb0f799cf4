import { sqlMigration } from './sql-migration';

/**
 * What the compliance dashboard reads, kept by the projector in the transaction that moves its
 * checkpoint: each subject's standing per consent-based purpose (for the paged lists behind a
 * count), the number of subjects per purpose, jurisdiction and standing (so that no view counts a
 * table), and per-day tallies of agreements, declines, revocations and the change of the active
 * count (the rates over time). Counts are kept per shard (the source partition), so that the
 * projector's parallel writers never wait on each other's rows; a view adds the shards up.
 * `consent_standing_basis` holds the fingerprint of the taxonomy and notice minimums the rows were
 * counted under: when it differs, the projector counts again from the read model. `verify_run`
 * keeps what each `verify` found, for the dashboard's findings (a run reads the whole log; the
 * dashboard shows the last one rather than running its own).
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
    // The lists behind a count, in subject id order (one jurisdiction's is the same scan, filtered:
    // a second index would cost every withdrawal another index entry on the projector's path)
    'CREATE INDEX consent_standing_list_idx ON consent_standing (purpose, standing, subject_id)',
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
    `
      CREATE TABLE verify_run (
        run_id            bigserial   PRIMARY KEY,
        finished_at       timestamptz NOT NULL DEFAULT now(),
        topic             text        NOT NULL,
        as_of             timestamptz,
        consistent        boolean     NOT NULL,
        events_checked    bigint      NOT NULL,
        subjects_compared bigint      NOT NULL,
        finding_count     integer     NOT NULL,
        findings          jsonb       NOT NULL
      )`,
    'CREATE INDEX verify_run_finished_idx ON verify_run (finished_at)',
    // The dashboard's recent deliveries per system, and the rates' days
    'CREATE INDEX sink_delivery_recent_idx ON sink_delivery (sink, allowed, delivered_at)',
    'CREATE INDEX consent_daily_tally_day_idx ON consent_daily_tally (day)',
  ],
  down: [
    'DROP INDEX consent_daily_tally_day_idx',
    'DROP INDEX sink_delivery_recent_idx',
    'DROP TABLE verify_run',
    'DROP TABLE consent_standing_basis',
    'DROP TABLE consent_daily_tally',
    'DROP TABLE consent_standing_count',
    'DROP TABLE consent_standing',
  ],
});
