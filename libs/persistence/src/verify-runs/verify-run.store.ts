import type { EntityManager } from 'typeorm';

/** A finding of `verify`, as stored for the dashboard (the report's own shape). */
export interface StoredVerifyFinding {
  readonly kind: string;
  readonly subjectId: string | null;
  readonly eventId: string | null;
  readonly partition: number | null;
  readonly offset: string | null;
  readonly detail: string;
}

/** One `verify` run: what it checked and what it found. */
export interface VerifyRun {
  readonly finishedAt: Date;
  readonly topic: string;
  readonly asOf: Date | null;
  readonly consistent: boolean;
  readonly eventsChecked: number;
  readonly subjectsCompared: number;
  readonly findingCount: number;
  /** The first findings (all of them are in the run's own report). */
  readonly findings: readonly StoredVerifyFinding[];
}

/** Findings kept per run: the dashboard lists them, the report itself has every one. */
const KEPT_FINDINGS = 200;

/** Each `verify` run (CLI or HTTP) as it finished, and the last one on a topic. */
export class VerifyRunStore {
  constructor(private readonly manager: EntityManager) {}

  async record(run: Omit<VerifyRun, 'finishedAt' | 'findingCount'>): Promise<void> {
    await this.manager.query(
      `INSERT INTO verify_run (topic, as_of, consistent, events_checked, subjects_compared, finding_count, findings)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        run.topic,
        run.asOf,
        run.consistent,
        run.eventsChecked,
        run.subjectsCompared,
        run.findings.length,
        JSON.stringify(run.findings.slice(0, KEPT_FINDINGS)),
      ],
    );
  }

  /** The last run over the whole of the topic (not one as of an earlier moment). */
  async latest(topic: string): Promise<VerifyRun | undefined> {
    const [row] = (await this.manager.query(
      `SELECT finished_at, topic, as_of, consistent, events_checked, subjects_compared, finding_count, findings
         FROM verify_run WHERE topic = $1 AND as_of IS NULL ORDER BY run_id DESC LIMIT 1`,
      [topic],
    )) as Array<{
      finished_at: Date;
      topic: string;
      as_of: Date | null;
      consistent: boolean;
      events_checked: string;
      subjects_compared: string;
      finding_count: number;
      findings: StoredVerifyFinding[];
    }>;
    if (!row) return undefined;
    return {
      finishedAt: row.finished_at,
      topic: row.topic,
      asOf: row.as_of,
      consistent: row.consistent,
      eventsChecked: Number(row.events_checked),
      subjectsCompared: Number(row.subjects_compared),
      findingCount: row.finding_count,
      findings: row.findings,
    };
  }
}
