import type { EntityManager } from 'typeorm';

/** Subjects of a purpose, jurisdiction and standing, from the projector's counters. */
export interface StandingCount {
  readonly purpose: string;
  readonly jurisdiction: string;
  readonly standing: string;
  readonly subjects: number;
}

/** One subject in a list behind a count. */
export interface StandingMember {
  readonly subjectId: string;
  readonly jurisdiction: string;
  /** When the subject came to stand there; null for never asked. */
  readonly since: Date | null;
}

export interface StandingListQuery {
  readonly purpose: string;
  readonly standing: string;
  readonly jurisdiction?: string;
  /** The last subject id of the page before (the list is in subject id order). */
  readonly after?: string;
  readonly limit: number;
}

/** One day's tallies of a purpose, over every jurisdiction asked for. */
export interface DailyTally {
  readonly day: string;
  readonly purpose: string;
  readonly grants: number;
  readonly declines: number;
  readonly revocations: number;
  /** How many more (or fewer) subjects stood ACTIVE at the day's end than at its start. */
  readonly activeChange: number;
  /** Subjects standing ACTIVE at the end of the day. */
  readonly activeAtEnd: number;
}

/** The jurisdiction a subject without one is counted under (as the projector counts it). */
const UNKNOWN_JURISDICTION = 'ZZ';

/**
 * What the compliance dashboard reads of the projector's standings: the counters (added up over
 * shards; a small table whatever the number of subjects), the paged lists behind a count (an index
 * scan from the page's cursor), and the daily tallies with each day's active count.
 */
export class StandingQueries {
  constructor(private readonly manager: EntityManager) {}

  async counts(): Promise<StandingCount[]> {
    const rows: Array<{ purpose: string; jurisdiction: string; standing: string; n: string }> =
      await this.manager.query(
        `SELECT purpose, jurisdiction, standing, sum(subjects) AS n
           FROM consent_standing_count GROUP BY purpose, jurisdiction, standing
         HAVING sum(subjects) <> 0 ORDER BY purpose, jurisdiction, standing`,
      );
    return rows.map((row) => ({
      purpose: row.purpose,
      jurisdiction: row.jurisdiction,
      standing: row.standing,
      subjects: Number(row.n),
    }));
  }

  /** A page of the subjects in a standing; never asked is every known subject without a row. */
  async members(query: StandingListQuery): Promise<StandingMember[]> {
    const params = [query.purpose, query.jurisdiction ?? null, query.after ?? '', query.limit];
    const rows: Array<{ subject_id: string; jurisdiction: string; since: Date | null }> =
      query.standing === 'NEVER_ASKED'
        ? await this.manager.query(
            `SELECT s.subject_id, coalesce(s.jurisdiction, '${UNKNOWN_JURISDICTION}') AS jurisdiction, NULL AS since
               FROM consent_subject s
              WHERE ($2::text IS NULL OR coalesce(s.jurisdiction, '${UNKNOWN_JURISDICTION}') = $2)
                AND s.subject_id > $3
                AND NOT EXISTS (SELECT 1 FROM consent_standing c
                                 WHERE c.subject_id = s.subject_id AND c.purpose = $1)
              ORDER BY s.subject_id LIMIT $4`,
            params,
          )
        : await this.manager.query(
            `SELECT subject_id, jurisdiction, since FROM consent_standing
              WHERE purpose = $1 AND standing = $5 AND ($2::text IS NULL OR jurisdiction = $2)
                AND subject_id > $3
              ORDER BY subject_id LIMIT $4`,
            [...params, query.standing],
          );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      jurisdiction: row.jurisdiction,
      since: row.since,
    }));
  }

  /**
   * Each day's tallies of each purpose in [from, to] (UTC days), over the jurisdiction given (all
   * when none), with the active count at each day's end. That count is worked back from the
   * counters' ACTIVE count now, less every change after the day, so only the days from `from` on
   * are read, not the whole history (the two agree by construction: both move in the projector's
   * transaction).
   */
  async dailyTallies(from: string, to: string, jurisdiction?: string): Promise<DailyTally[]> {
    const rows: Array<Record<string, string | Date>> = await this.manager.query(
      `WITH days AS (
         SELECT day, purpose, sum(grants) AS grants, sum(declines) AS declines,
                sum(revocations) AS revocations, sum(active_change) AS active_change
           FROM consent_daily_tally
          WHERE day >= $1::date AND ($3::text IS NULL OR jurisdiction = $3)
          GROUP BY day, purpose),
       active_now AS (
         SELECT purpose, sum(subjects) AS n FROM consent_standing_count
          WHERE standing = 'ACTIVE' AND ($3::text IS NULL OR jurisdiction = $3)
          GROUP BY purpose),
       running AS (
         SELECT d.*, coalesce(a.n, 0) - coalesce(sum(d.active_change) OVER (
                  PARTITION BY d.purpose ORDER BY d.day DESC
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS active_at_end
           FROM days d LEFT JOIN active_now a ON a.purpose = d.purpose)
       SELECT to_char(day, 'YYYY-MM-DD') AS day, purpose, grants, declines, revocations, active_change, active_at_end
         FROM running WHERE day <= $2::date ORDER BY day, purpose`,
      [from, to, jurisdiction ?? null],
    );
    return rows.map((row) => ({
      day: String(row.day),
      purpose: String(row.purpose),
      grants: Number(row.grants),
      declines: Number(row.declines),
      revocations: Number(row.revocations),
      activeChange: Number(row.active_change),
      activeAtEnd: Number(row.active_at_end),
    }));
  }

  /** When each notice version was registered, for the marks on the rates' chart. */
  async noticeVersions(
    from: string,
    to: string,
  ): Promise<Array<{ noticeId: string; version: string; day: string }>> {
    const rows: Array<{ notice_id: string; version: string; day: string }> =
      await this.manager.query(
        `SELECT notice_id, version, to_char(registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
         FROM consent_notice
        WHERE registered_at >= $1::date AND registered_at < $2::date + 1
        ORDER BY registered_at`,
        [from, to],
      );
    return rows.map((row) => ({ noticeId: row.notice_id, version: row.version, day: row.day }));
  }
}
