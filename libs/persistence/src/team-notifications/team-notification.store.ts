import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OperationsQueries } from '../compliance-dashboard/operations-queries';
import { queryPrepared } from '../prepared-query';

/** A notification for one subscription: the event as the team will read it. */
export interface TeamNotification {
  readonly notificationId: string;
  readonly subscription: string;
  readonly eventType: string;
  readonly event: Readonly<Record<string, unknown>>;
  readonly attempts: number;
}

/** Signals the notifier reads from the database: erasures done, `verify` runs with findings. */
export interface ErasureDone {
  readonly subjectId: string;
  readonly doneAt: Date;
}
export interface VerifyRunWithFindings {
  readonly runId: string;
  readonly topic: string;
  readonly finishedAt: Date;
  readonly findingCount: number;
  readonly findings: ReadonlyArray<{ readonly kind: string; readonly detail: string }>;
}

/** The team webhooks' queue: notifications written once, claimed with a lease, retried. */
export class TeamNotificationStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Writes notifications down; one already there (same id) stays as it is. */
  async add(notifications: ReadonlyArray<Omit<TeamNotification, 'attempts'>>): Promise<void> {
    if (notifications.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO team_notification (notification_id, subscription, event_type, event)
       SELECT n.id, n.subscription, n.type, n.event
         FROM jsonb_to_recordset($1::jsonb) AS n(id text, subscription text, type text, event jsonb)
       ON CONFLICT DO NOTHING`,
      [
        JSON.stringify(
          notifications.map((notification) => ({
            id: notification.notificationId,
            subscription: notification.subscription,
            type: notification.eventType,
            event: notification.event,
          })),
        ),
      ],
    );
  }

  /** Claims up to `limit` due notifications for `leaseMs`; counts the attempt. */
  async claimDue(limit: number, leaseMs: number): Promise<TeamNotification[]> {
    const rows = await queryPrepared<{
      notification_id: string;
      subscription: string;
      event_type: string;
      event: Record<string, unknown>;
      attempts: number;
    }>(
      this.dataSource.manager,
      `UPDATE team_notification n
          SET next_attempt_at = now() + make_interval(secs => $2::float8 / 1000),
              attempts = attempts + 1
         FROM (SELECT notification_id FROM team_notification
                WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE n.notification_id = due.notification_id
        RETURNING n.notification_id, n.subscription, n.event_type, n.event, n.attempts`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({
      notificationId: row.notification_id,
      subscription: row.subscription,
      eventType: row.event_type,
      event: row.event,
      attempts: row.attempts,
    }));
  }

  /** When the next notification is due; null when none waits. */
  async nextDue(): Promise<Date | null> {
    const [row]: Array<{ next: Date | null }> = await this.dataSource.query(
      `SELECT min(next_attempt_at) AS next FROM team_notification
        WHERE delivered_at IS NULL AND dead_at IS NULL`,
    );
    return row?.next ?? null;
  }

  async delivered(notificationId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE team_notification SET delivered_at = now(), last_error = NULL WHERE notification_id = $1`,
      [notificationId],
    );
  }

  async retryAt(notificationId: string, error: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE team_notification SET last_error = $2, next_attempt_at = $3 WHERE notification_id = $1`,
      [notificationId, error.slice(0, 1_000), at],
    );
  }

  async dead(notificationId: string, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE team_notification SET last_error = $2, dead_at = now() WHERE notification_id = $1`,
      [notificationId, error.slice(0, 1_000)],
    );
  }

  /** Erasures whose data key was destroyed after `since`. */
  async erasuresDone(since: Date): Promise<ErasureDone[]> {
    const rows: Array<{ subject_id: string; key_destroyed_at: Date }> = await this.dataSource.query(
      `SELECT subject_id, key_destroyed_at FROM erasure_request
        WHERE key_destroyed_at > $1 ORDER BY key_destroyed_at LIMIT 1000`,
      [since],
    );
    return rows.map((row) => ({ subjectId: row.subject_id, doneAt: row.key_destroyed_at }));
  }

  /** `verify` runs of the whole log that finished after `since` with findings. */
  async verifyRunsWithFindings(since: Date): Promise<VerifyRunWithFindings[]> {
    const rows: Array<{
      run_id: string;
      topic: string;
      finished_at: Date;
      finding_count: number;
      findings: Array<{ kind: string; detail: string }>;
    }> = await this.dataSource.query(
      `SELECT run_id, topic, finished_at, finding_count, findings FROM verify_run
        WHERE finished_at > $1 AND finding_count > 0 AND as_of IS NULL ORDER BY run_id LIMIT 100`,
      [since],
    );
    return rows.map((row) => ({
      runId: String(row.run_id),
      topic: row.topic,
      finishedAt: row.finished_at,
      findingCount: Number(row.finding_count),
      findings: row.findings.slice(0, 5).map(({ kind, detail }) => ({ kind, detail })),
    }));
  }
}

/** The store on the app's data source (so that apps need not reach TypeORM themselves). */
export const teamNotificationStoreProvider: Provider = {
  provide: TeamNotificationStore,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new TeamNotificationStore(dataSource),
};

/** The dashboard's operations figures on the app's data source (propagation, erasures). */
export const operationsQueriesProvider: Provider = {
  provide: OperationsQueries,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new OperationsQueries(dataSource.manager),
};
