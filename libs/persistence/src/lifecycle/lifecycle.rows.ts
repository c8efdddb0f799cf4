import type { LatestChoice, ReconsentCampaign } from './lifecycle.store';

/** Rows of the lifecycle tables, and what the store makes of them. */

export interface CampaignRow {
  campaign_id: string;
  notice_id: string;
  notice_version: string;
  started_at: Date;
  grace_ends_at: Date;
  steps: Array<{ step: number; dueAt: string }>;
  started_by: string;
  selected_through: string | null;
  selected_at: Date | null;
  finished_at: Date | null;
}

export const campaignOf = (row: CampaignRow): ReconsentCampaign => ({
  campaignId: row.campaign_id,
  noticeId: row.notice_id,
  noticeVersion: row.notice_version,
  startedAt: row.started_at,
  graceEndsAt: row.grace_ends_at,
  steps: row.steps.map(({ step, dueAt }) => ({ step, dueAt: new Date(dueAt) })),
  startedBy: row.started_by,
  selectedThrough: row.selected_through,
  selectedAt: row.selected_at,
  finishedAt: row.finished_at,
});

export const CHOICE_COLUMNS = `subject_id, purpose, action, event_id, occurred_at, expires_at, notice_id,
  notice_version, notice_text_sha256, jurisdiction, legal_basis`;

/**
 * An erased subject's choice for every purpose ('*', ERASE), from the write head: it holds from the
 * ERASE's own commit, before the read model has it, and the subject's grants there stay as they were.
 */
export const ERASED_MARKER = `subject_id, '*' AS purpose, 'ERASE' AS action, last_event_id AS event_id,
  erased_at AS occurred_at, NULL::timestamptz AS expires_at, NULL AS notice_id, NULL AS notice_version,
  NULL AS notice_text_sha256, '' AS jurisdiction, '' AS legal_basis`;

export interface ChoiceRow {
  subject_id: string;
  purpose: string;
  action: LatestChoice['action'];
  event_id: string;
  occurred_at: Date;
  expires_at: Date | null;
  notice_id: string | null;
  notice_version: string | null;
  notice_text_sha256: string | null;
  jurisdiction: string;
  legal_basis: string;
}

export const choiceOf = (row: ChoiceRow): LatestChoice => ({
  subjectId: row.subject_id,
  purpose: row.purpose,
  action: row.action,
  eventId: row.event_id,
  occurredAt: row.occurred_at,
  expiresAt: row.expires_at,
  notice:
    row.notice_id === null
      ? null
      : {
          noticeId: row.notice_id,
          version: row.notice_version ?? '',
          textSha256: row.notice_text_sha256 ?? '',
        },
  jurisdiction: row.jurisdiction,
  legalBasis: row.legal_basis,
});
