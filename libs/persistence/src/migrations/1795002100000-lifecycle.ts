import { sqlMigration } from './sql-migration';

/**
 * Re-consent campaigns (one per material notice version, with who was asked and how each person
 * stands) and the lifecycle messages the email platform sends: re-consent requests and reminders,
 * renewal reminders and lapse notices. A message's key is its idempotency key at the vendor, so a
 * message is sent once whatever crashes; the sender claims due messages with a lease.
 */
export const Lifecycle1795002100000 = sqlMigration('Lifecycle1795002100000', {
  up: [
    `
      CREATE TABLE reconsent_campaign (
        campaign_id      text        PRIMARY KEY,
        notice_id        text        NOT NULL,
        notice_version   text        NOT NULL,
        started_at       timestamptz NOT NULL,
        grace_ends_at    timestamptz NOT NULL,
        steps            jsonb       NOT NULL,
        started_by       text        NOT NULL,
        selected_through text,
        selected_at      timestamptz,
        finished_at      timestamptz,
        UNIQUE (notice_id, notice_version)
      )`,
    `
      CREATE TABLE reconsent_subject (
        campaign_id text        NOT NULL REFERENCES reconsent_campaign,
        subject_id  text        NOT NULL,
        purposes    text[]      NOT NULL,
        status      text        NOT NULL DEFAULT 'PENDING'
                                CHECK (status IN ('PENDING', 'ANSWERED', 'LAPSED')),
        settled_at  timestamptz,
        PRIMARY KEY (campaign_id, subject_id)
      )`,
    `CREATE INDEX reconsent_subject_pending_idx ON reconsent_subject (campaign_id, subject_id)
       WHERE status = 'PENDING'`,
    `
      CREATE TABLE lifecycle_message (
        message_key   text        PRIMARY KEY,
        kind          text        NOT NULL CHECK (kind IN
                        ('RECONSENT_REQUEST', 'RECONSENT_REMINDER', 'RENEWAL_REMINDER', 'CONSENT_LAPSED')),
        subject_id    text        NOT NULL,
        campaign_id   text        REFERENCES reconsent_campaign,
        details       jsonb       NOT NULL,
        due_at        timestamptz NOT NULL,
        claimed_until timestamptz,
        attempts      integer     NOT NULL DEFAULT 0,
        last_error    text,
        sent_at       timestamptz,
        cancelled_at  timestamptz,
        cancel_reason text
      )`,
    `CREATE INDEX lifecycle_message_due_idx ON lifecycle_message (due_at)
       WHERE sent_at IS NULL AND cancelled_at IS NULL`,
    `CREATE INDEX lifecycle_message_campaign_idx ON lifecycle_message (campaign_id, subject_id)
       WHERE campaign_id IS NOT NULL`,
  ],
  down: [
    'DROP TABLE lifecycle_message',
    'DROP TABLE reconsent_subject',
    'DROP TABLE reconsent_campaign',
  ],
});
