import type { EntityManager } from 'typeorm';

/** How fast changes reached one downstream system over a recent window. */
export interface PropagationFigures {
  readonly sink: string;
  /** Updates the vendor acknowledged in the window. */
  readonly delivered: number;
  /** Of them, withdrawals (the latency below is theirs). */
  readonly withdrawals: number;
  /** Cause event recorded → vendor acknowledged, over the window's latest withdrawals; null when none. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** A vendor call written down before it was sent and not yet confirmed (in flight, or to retry). */
export interface CallsInFlight {
  readonly sink: string;
  readonly calls: number;
  readonly updates: number;
  readonly oldest: Date;
}

/** An erasure whose key is held until downstream systems confirmed the delete. */
export interface ErasureInProgress {
  readonly subjectId: string;
  readonly requestedAt: Date;
  readonly jurisdiction: string;
}

/** A re-consent campaign not finished yet, and where its people stand (as the sender last saw). */
export interface CampaignInProgress {
  readonly campaignId: string;
  readonly startedAt: Date;
  readonly graceEndsAt: Date;
  readonly audienceSelected: boolean;
  readonly pending: number;
  readonly answered: number;
  readonly messagesSent: number;
}

/** A training manifest that included people who withdrew (or expired, or were erased) after. */
export interface AffectedManifestRow {
  readonly manifestId: string;
  readonly jobId: string;
  readonly purpose: string;
  readonly issuedAt: Date;
  readonly withdrawnSubjects: number;
}

/** What the dashboard's propagation, pending work and findings views read from PostgreSQL. */
export class OperationsQueries {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Each system's deliveries in the last `windowSeconds`, and the latency of its withdrawals (cause
   * recorded → vendor acknowledged) over the latest `sampleLimit` of them: at 1,000 withdrawals/s a
   * five-minute window holds 300,000; the latest 5,000 give p50 and p99 (50 samples above it) in a
   * fraction of the time. Counts are exact (a range scan of the index).
   */
  async propagation(
    windowSeconds: number,
    sinks: readonly string[],
    sampleLimit = 5_000,
  ): Promise<PropagationFigures[]> {
    const rows: Array<Record<string, string | null>> = await this.manager.query(
      `SELECT s.sink, c.delivered, c.withdrawals, l.p50, l.p99
         FROM unnest($2::text[]) AS s(sink)
         CROSS JOIN LATERAL (
           SELECT count(*) AS delivered, count(*) FILTER (WHERE NOT allowed) AS withdrawals
             FROM sink_delivery
            WHERE sink = s.sink AND delivered_at > now() - make_interval(secs => $1)) AS c
         CROSS JOIN LATERAL (
           SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - e.recorded_at)) * 1000 AS p50,
                  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - e.recorded_at)) * 1000 AS p99
             FROM (SELECT delivered_at, cause_event_id FROM sink_delivery
                    WHERE sink = s.sink AND NOT allowed AND delivered_at > now() - make_interval(secs => $1)
                    ORDER BY delivered_at DESC LIMIT $3) AS d
             JOIN consent_event e ON e.event_id = d.cause_event_id) AS l
        ORDER BY s.sink`,
      [windowSeconds, sinks, sampleLimit],
    );
    return rows.map((row) => ({
      sink: String(row.sink),
      delivered: Number(row.delivered),
      withdrawals: Number(row.withdrawals),
      p50Ms: row.p50 === null ? null : Number(row.p50),
      p99Ms: row.p99 === null ? null : Number(row.p99),
    }));
  }

  async callsInFlight(): Promise<CallsInFlight[]> {
    const rows: Array<{ sink: string; calls: string; updates: string; oldest: Date }> =
      await this.manager.query(
        `SELECT sink, count(*) AS calls, sum(jsonb_array_length(updates)) AS updates, min(created_at) AS oldest
           FROM sink_call_intent GROUP BY sink ORDER BY sink`,
      );
    return rows.map((row) => ({
      sink: row.sink,
      calls: Number(row.calls),
      updates: Number(row.updates),
      oldest: row.oldest,
    }));
  }

  /** Erasures recorded whose data key is still held (waiting for systems to confirm). */
  async erasuresInProgress(limit: number): Promise<ErasureInProgress[]> {
    const rows: Array<{ subject_id: string; requested_at: Date; jurisdiction: string }> =
      await this.manager.query(
        `SELECT subject_id, requested_at, jurisdiction FROM erasure_request
          WHERE event_id IS NOT NULL AND key_destroyed_at IS NULL
          ORDER BY requested_at LIMIT $1`,
        [limit],
      );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      requestedAt: row.requested_at,
      jurisdiction: row.jurisdiction,
    }));
  }

  /** Re-consent campaigns whose grace period has not been applied yet, oldest first. */
  async campaignsInProgress(): Promise<CampaignInProgress[]> {
    const rows: Array<Record<string, string | Date | null>> = await this.manager.query(
      `SELECT c.campaign_id, c.started_at, c.grace_ends_at, c.selected_at,
              (SELECT count(*) FROM reconsent_subject r
                WHERE r.campaign_id = c.campaign_id AND r.status = 'PENDING') AS pending,
              (SELECT count(*) FROM reconsent_subject r
                WHERE r.campaign_id = c.campaign_id AND r.status = 'ANSWERED') AS answered,
              (SELECT count(*) FROM lifecycle_message m
                WHERE m.campaign_id = c.campaign_id AND m.sent_at IS NOT NULL) AS sent
         FROM reconsent_campaign c WHERE c.finished_at IS NULL ORDER BY c.started_at`,
    );
    return rows.map((row) => ({
      campaignId: String(row.campaign_id),
      startedAt: row.started_at as Date,
      graceEndsAt: row.grace_ends_at as Date,
      audienceSelected: row.selected_at !== null,
      pending: Number(row.pending),
      answered: Number(row.answered),
      messagesSent: Number(row.sent),
    }));
  }

  /** Erasures completed (key destroyed) in the last `days` days. */
  async erasuresCompleted(days: number): Promise<number> {
    const [row] = (await this.manager.query(
      `SELECT count(*) AS n FROM erasure_request WHERE key_destroyed_at > now() - make_interval(days => $1)`,
      [days],
    )) as Array<{ n: string }>;
    return Number(row?.n ?? 0);
  }

  /**
   * The subjects of a training manifest who withdrew (or expired, or were erased) for its purpose
   * after it was issued, with the event that says so: the proof behind a manifest finding.
   */
  async manifestWithdrawals(
    manifestId: string,
  ): Promise<Array<{ subjectId: string; eventId: string; action: string; recordedAt: Date }>> {
    const rows: Array<{ subject_id: string; event_id: string; action: string; recorded_at: Date }> =
      await this.manager.query(
        `SELECT DISTINCT ON (s.subject_id) s.subject_id, e.event_id, e.action, e.recorded_at
           FROM training_manifest m
           JOIN training_manifest_subject s ON s.manifest_id = m.manifest_id
           JOIN consent_event e ON e.subject_id = s.subject_id AND e.action IN ('WITHDRAW', 'EXPIRE', 'ERASE')
            AND e.recorded_at > m.created_at
            AND (e.purpose = m.purpose OR m.purpose LIKE e.purpose || '.%' OR e.purpose = '*')
          WHERE m.manifest_id = $1
          ORDER BY s.subject_id, e.recorded_at`,
        [manifestId],
      );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      eventId: row.event_id,
      action: row.action,
      recordedAt: row.recorded_at,
    }));
  }

  /** Records an export in the admin audit log: who took which list, and how many rows. */
  async recordExport(
    actor: string,
    target: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.manager.query(
      'INSERT INTO admin_audit_entry (actor, action, target, details) VALUES ($1, $2, $3, $4)',
      [actor, 'dashboard.export', target, JSON.stringify(details)],
    );
  }
}
