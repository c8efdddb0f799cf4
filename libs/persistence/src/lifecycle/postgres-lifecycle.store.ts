import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryPrepared } from '../prepared-query';
import {
  CAMPAIGN_PROGRESS,
  CLAIM_DUE,
  ENQUEUE_RENEWAL_NOTICES,
  INSERT_AUDIENCE,
  INSERT_CAMPAIGN_MESSAGES,
} from './lifecycle.sql';
import { campaignOf, CHOICE_COLUMNS, choiceOf, ERASED_MARKER } from './lifecycle.rows';
import type { CampaignRow, ChoiceRow } from './lifecycle.rows';
import { LIFECYCLE_STORE } from './lifecycle.store';
import type {
  CampaignProgress,
  CampaignSubject,
  ExpiryPosition,
  LatestChoice,
  LifecycleMessage,
  LifecycleStore,
  ReconsentCampaign,
} from './lifecycle.store';

export class PostgresLifecycleStore implements LifecycleStore {
  constructor(private readonly dataSource: DataSource) {}

  async startCampaign(
    campaign: Omit<ReconsentCampaign, 'selectedThrough' | 'selectedAt' | 'finishedAt'>,
  ): Promise<{ readonly created: boolean; readonly campaign: ReconsentCampaign }> {
    const inserted: CampaignRow[] = await this.dataSource.query(
      `INSERT INTO reconsent_campaign
         (campaign_id, notice_id, notice_version, started_at, grace_ends_at, steps, started_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING *`,
      [
        campaign.campaignId,
        campaign.noticeId,
        campaign.noticeVersion,
        campaign.startedAt,
        campaign.graceEndsAt,
        JSON.stringify(campaign.steps),
        campaign.startedBy,
      ],
    );
    if (inserted[0]) return { created: true, campaign: campaignOf(inserted[0]) };
    return { created: false, campaign: (await this.campaign(campaign.campaignId))! };
  }

  async campaign(campaignId: string): Promise<ReconsentCampaign | undefined> {
    const rows: CampaignRow[] = await this.dataSource.query(
      `SELECT * FROM reconsent_campaign WHERE campaign_id = $1`,
      [campaignId],
    );
    return rows[0] && campaignOf(rows[0]);
  }

  async progress(campaignId: string): Promise<CampaignProgress> {
    const [counts]: Array<Record<string, number>> = await this.dataSource.query(CAMPAIGN_PROGRESS, [
      campaignId,
    ]);
    const count = (name: string) => counts?.[name] ?? 0;
    return {
      subjects: { pending: count('pending'), answered: count('answered'), lapsed: count('lapsed') },
      messages: { sent: count('sent'), due: count('due'), cancelled: count('cancelled') },
    };
  }

  async unselectedCampaigns(): Promise<ReconsentCampaign[]> {
    const rows: CampaignRow[] = await this.dataSource.query(
      `SELECT * FROM reconsent_campaign WHERE selected_at IS NULL ORDER BY started_at`,
    );
    return rows.map(campaignOf);
  }

  async noticeGrants(
    noticeId: string,
    after: string | null,
    limit: number,
  ): Promise<{ readonly choices: LatestChoice[]; readonly last: string | null }> {
    const subjects: Array<{ subject_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT subject_id FROM consent_choice
        WHERE subject_id > $1 ORDER BY subject_id LIMIT $2`,
      [after ?? '', limit],
    );
    const ids = subjects.map(({ subject_id }) => subject_id);
    if (ids.length === 0) return { choices: [], last: null };
    const rows: ChoiceRow[] = await this.dataSource.query(
      `SELECT ${CHOICE_COLUMNS} FROM consent_choice c
        WHERE subject_id = ANY($1) AND action = 'GRANT' AND notice_id = $2
          AND NOT EXISTS (SELECT 1 FROM erasure_request e WHERE e.subject_id = c.subject_id)`,
      [ids, noticeId],
    );
    return { choices: rows.map(choiceOf), last: ids.at(-1)! };
  }

  async addAudience(
    campaign: ReconsentCampaign,
    subjects: readonly CampaignSubject[],
    through: string | null,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (subjects.length > 0) {
        await manager.query(INSERT_AUDIENCE, [
          campaign.campaignId,
          JSON.stringify(subjects.map(rowOfSubject)),
        ]);
        await manager.query(INSERT_CAMPAIGN_MESSAGES, [
          campaign.campaignId,
          JSON.stringify(subjects.map(rowOfSubject)),
          campaign.noticeId,
          campaign.noticeVersion,
          campaign.graceEndsAt.toISOString(),
          JSON.stringify(campaign.steps),
        ]);
      }
      await manager.query(
        `UPDATE reconsent_campaign
            SET selected_through = coalesce($2, selected_through),
                selected_at = CASE WHEN $2 IS NULL THEN now() END
          WHERE campaign_id = $1`,
        [campaign.campaignId, through],
      );
    });
  }

  async claimDue(limit: number, leaseMs: number): Promise<LifecycleMessage[]> {
    // An UPDATE's RETURNING: TypeORM's `query` would answer [rows, count].
    const rows = await queryPrepared<{
      message_key: string;
      kind: LifecycleMessage['kind'];
      subject_id: string;
      campaign_id: string | null;
      details: LifecycleMessage['details'];
      due_at: Date;
      attempts: number;
    }>(this.dataSource.manager, CLAIM_DUE, [limit, leaseMs]);
    return rows.map((row) => ({
      messageKey: row.message_key,
      kind: row.kind,
      subjectId: row.subject_id,
      campaignId: row.campaign_id,
      details: row.details,
      dueAt: row.due_at,
      attempts: row.attempts,
    }));
  }

  async nextDue(): Promise<Date | null> {
    const [row]: Array<{ next: Date | null }> = await this.dataSource.query(
      `SELECT min(greatest(due_at, coalesce(claimed_until, due_at))) AS next FROM lifecycle_message
        WHERE sent_at IS NULL AND cancelled_at IS NULL`,
    );
    return row?.next ?? null;
  }

  async sent(messageKeys: readonly string[]): Promise<void> {
    if (messageKeys.length === 0) return;
    await this.dataSource.query(
      `UPDATE lifecycle_message SET sent_at = now(), claimed_until = NULL, last_error = NULL
        WHERE message_key = ANY($1)`,
      [messageKeys],
    );
  }

  async cancel(messageKeys: readonly string[], reason: string): Promise<void> {
    if (messageKeys.length === 0) return;
    await this.dataSource.query(
      `UPDATE lifecycle_message SET cancelled_at = now(), cancel_reason = $2, claimed_until = NULL
        WHERE message_key = ANY($1) AND sent_at IS NULL AND cancelled_at IS NULL`,
      [messageKeys, reason],
    );
  }

  async failed(messageKey: string, error: string, retryAt: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE lifecycle_message SET last_error = $2, claimed_until = $3 WHERE message_key = $1`,
      [messageKey, error.slice(0, 1_000), retryAt],
    );
  }

  async latestChoices(subjectIds: readonly string[]): Promise<LatestChoice[]> {
    if (subjectIds.length === 0) return [];
    const rows: ChoiceRow[] = await this.dataSource.query(
      `SELECT ${CHOICE_COLUMNS} FROM consent_choice WHERE subject_id = ANY($1)
       UNION ALL
       SELECT ${ERASED_MARKER} FROM consent_write_head
        WHERE subject_id = ANY($1) AND erased_at IS NOT NULL`,
      [subjectIds],
    );
    return rows.map(choiceOf);
  }

  async settle(
    campaignId: string,
    subjectIds: readonly string[],
    status: 'ANSWERED' | 'LAPSED',
  ): Promise<string[]> {
    if (subjectIds.length === 0) return [];
    const rows = await queryPrepared<{ subject_id: string }>(
      this.dataSource.manager,
      `UPDATE reconsent_subject SET status = $3, settled_at = now()
        WHERE campaign_id = $1 AND subject_id = ANY($2) AND status = 'PENDING'
        RETURNING subject_id`,
      [campaignId, subjectIds, status],
    );
    if (rows.length > 0)
      await this.dataSource.query(
        `UPDATE lifecycle_message SET cancelled_at = now(), cancel_reason = $3
          WHERE campaign_id = $1 AND subject_id = ANY($2) AND sent_at IS NULL
            AND cancelled_at IS NULL`,
        [campaignId, rows.map(({ subject_id }) => subject_id), status.toLowerCase()],
      );
    return rows.map(({ subject_id }) => subject_id);
  }

  async campaignsToFinish(at: Date): Promise<ReconsentCampaign[]> {
    const rows: CampaignRow[] = await this.dataSource.query(
      `SELECT * FROM reconsent_campaign
        WHERE grace_ends_at <= $1 AND finished_at IS NULL AND selected_at IS NOT NULL
        ORDER BY grace_ends_at`,
      [at],
    );
    return rows.map(campaignOf);
  }

  async pendingSubjects(
    campaignId: string,
    after: string | null,
    limit: number,
  ): Promise<CampaignSubject[]> {
    const rows: Array<{ subject_id: string; purposes: string[] }> = await this.dataSource.query(
      `SELECT subject_id, purposes FROM reconsent_subject
        WHERE campaign_id = $1 AND status = 'PENDING' AND subject_id > $2
        ORDER BY subject_id LIMIT $3`,
      [campaignId, after ?? '', limit],
    );
    return rows.map((row) => ({ subjectId: row.subject_id, purposes: row.purposes }));
  }

  async finish(campaignId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE reconsent_campaign SET finished_at = now() WHERE campaign_id = $1`,
      [campaignId],
    );
  }

  async enqueueRenewalNotices(
    purposes: readonly string[],
    leadMs: number,
    after: ExpiryPosition,
    to: Date,
    limit: number,
  ): Promise<ExpiryPosition | null> {
    const rows: Array<{ expires_at: Date; subject_id: string; purpose: string }> =
      await this.dataSource.query(ENQUEUE_RENEWAL_NOTICES, [
        purposes,
        after.expiresAt,
        after.subjectId,
        after.purpose,
        to,
        limit,
        leadMs,
      ]);
    const last = rows[0];
    return last
      ? { expiresAt: last.expires_at, subjectId: last.subject_id, purpose: last.purpose }
      : null;
  }
}

function rowOfSubject(subject: CampaignSubject) {
  return { subject_id: subject.subjectId, purposes: subject.purposes };
}

export const lifecycleStoreProvider: Provider = {
  provide: LIFECYCLE_STORE,
  inject: [DataSource],
  useFactory: (dataSource: DataSource): LifecycleStore => new PostgresLifecycleStore(dataSource),
};
