import { SUBJECT_ERASED_SQL } from '../write-path/postgres-write-path.store';

/** The lifecycle store's longer statements. */

/** A campaign's people by status and its messages by state ($1: the campaign). */
export const CAMPAIGN_PROGRESS = `SELECT
         (SELECT count(*) FILTER (WHERE status = 'PENDING') FROM reconsent_subject WHERE campaign_id = $1)::int AS pending,
         (SELECT count(*) FILTER (WHERE status = 'ANSWERED') FROM reconsent_subject WHERE campaign_id = $1)::int AS answered,
         (SELECT count(*) FILTER (WHERE status = 'LAPSED') FROM reconsent_subject WHERE campaign_id = $1)::int AS lapsed,
         count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent,
         count(*) FILTER (WHERE sent_at IS NULL AND cancelled_at IS NULL)::int AS due,
         count(*) FILTER (WHERE cancelled_at IS NOT NULL)::int AS cancelled
       FROM lifecycle_message WHERE campaign_id = $1`;

/** People put in a campaign's audience ($1: campaign, $2: [{subject_id, purposes}]). */
export const INSERT_AUDIENCE = `INSERT INTO reconsent_subject (campaign_id, subject_id, purposes)
           SELECT $1, s.subject_id, ARRAY(SELECT jsonb_array_elements_text(s.purposes))
             FROM jsonb_to_recordset($2::jsonb) AS s(subject_id text, purposes jsonb)
           ON CONFLICT DO NOTHING`;

/**
 * A message per person and step ($1: campaign, $2: people, $3/$4: the notice, $5: grace end,
 * $6: [{step, dueAt}]); the message key is the vendor's idempotency key.
 */
export const INSERT_CAMPAIGN_MESSAGES = `INSERT INTO lifecycle_message (message_key, kind, subject_id, campaign_id, details, due_at)
           SELECT 'reconsent:' || $1 || ':' || s.subject_id || ':' || st.step,
                  CASE WHEN st.step = 0 THEN 'RECONSENT_REQUEST' ELSE 'RECONSENT_REMINDER' END,
                  s.subject_id, $1,
                  jsonb_build_object('purposes', s.purposes, 'step', st.step,
                    'notice', jsonb_build_object('noticeId', $3::text, 'version', $4::text),
                    'graceEndsAt', $5::text),
                  st."dueAt"
             FROM jsonb_to_recordset($2::jsonb) AS s(subject_id text, purposes jsonb)
            CROSS JOIN jsonb_to_recordset($6::jsonb) AS st(step int, "dueAt" timestamptz)
           ON CONFLICT DO NOTHING`;

/** Claims up to $1 due messages for $2 ms; rows other instances hold are skipped. */
export const CLAIM_DUE = `UPDATE lifecycle_message m
          SET claimed_until = now() + make_interval(secs => $2::float8 / 1000),
              attempts = attempts + 1
         FROM (SELECT message_key FROM lifecycle_message
                WHERE sent_at IS NULL AND cancelled_at IS NULL AND due_at <= now()
                  AND (claimed_until IS NULL OR claimed_until <= now())
                ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE m.message_key = due.message_key
        RETURNING m.message_key, m.kind, m.subject_id, m.campaign_id, m.details, m.due_at, m.attempts`;

/**
 * A reminder ($7 ms before the expiry, now at the latest) and a lapse notice (at the expiry) for
 * up to $6 grants of purposes $1 after ($2, $3, $4) expiring by $5; returns the last grant read.
 */
export const ENQUEUE_RENEWAL_NOTICES = `WITH grants AS (
           SELECT subject_id, purpose, event_id, expires_at FROM consent_choice c
            WHERE action = 'GRANT' AND NOT ${SUBJECT_ERASED_SQL} AND expires_at IS NOT NULL AND expires_at <= $5
              AND (expires_at, subject_id, purpose) > ($2, $3, $4) AND purpose = ANY($1)
            ORDER BY expires_at, subject_id, purpose LIMIT $6),
         notices AS (
           INSERT INTO lifecycle_message (message_key, kind, subject_id, details, due_at)
           SELECT kind.prefix || g.event_id, kind.kind, g.subject_id,
                  jsonb_build_object('purposes', jsonb_build_array(g.purpose),
                    'grantEventId', g.event_id, 'expiresAt', to_char(g.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
                  CASE WHEN kind.kind = 'CONSENT_LAPSED' THEN g.expires_at
                       ELSE greatest(now(), g.expires_at - make_interval(secs => $7::float8 / 1000)) END
             FROM grants g
            CROSS JOIN (VALUES ('renewal:', 'RENEWAL_REMINDER'), ('lapsed:', 'CONSENT_LAPSED'))
                  AS kind(prefix, kind)
           ON CONFLICT DO NOTHING)
         SELECT expires_at, subject_id, purpose FROM grants
          ORDER BY expires_at DESC, subject_id DESC, purpose DESC LIMIT 1`;
