import type { ConsentEvent } from '@consent-ledger/consent-domain';
import type { DataSource, EntityManager } from 'typeorm';
import { runWrites } from '../combined-writes';
import type { SqlWrite } from '../combined-writes';
import { eventFromRow } from '../consent-read-model.rows';
import type { ConsentEventRow } from '../consent-read-model.rows';
import type { PositionedEvent } from '../consent-read-model.repository';

/** Subjects whose histories are read and counted together. */
const SUBJECTS_PER_PAGE = 2_000;

/** How a page of subjects' histories (each in log order) becomes the writes that count them. */
export type CountHistories = (
  histories: ReadonlyArray<readonly PositionedEvent[]>,
) => ReadonlyArray<SqlWrite | undefined>;

/**
 * Counts the dashboard's standings, counters and daily tallies again from the read model's events
 * (each subject's history folded in log order) when they were counted under another taxonomy or
 * notice minimum (`fingerprint`), or never (the tables are new). It holds the tables locked while
 * it counts, so the projector's writes wait and then add to the new counts; a second instance that
 * waited for the lock finds the basis current and counts nothing. Returns the subjects counted, or
 * undefined when the basis was current.
 */
export async function recountStandingsIfStale(
  dataSource: DataSource,
  fingerprint: string,
  countHistories: CountHistories,
  onProgress: (subjects: number) => void = () => undefined,
): Promise<number | undefined> {
  if ((await basisOf(dataSource.manager)) === fingerprint) return undefined;
  return dataSource.transaction(async (manager) => {
    await manager.query(
      `LOCK TABLE consent_standing_basis, consent_standing, consent_standing_count, consent_daily_tally
         IN EXCLUSIVE MODE`,
    );
    if ((await basisOf(manager)) === fingerprint) return undefined;
    await manager.query('TRUNCATE consent_standing, consent_standing_count, consent_daily_tally');
    let subjects = 0;
    for (let after = ''; ;) {
      const page: Array<{ subject_id: string }> = await manager.query(
        `SELECT subject_id FROM consent_subject WHERE subject_id > $1 ORDER BY subject_id LIMIT $2`,
        [after, SUBJECTS_PER_PAGE],
      );
      if (page.length === 0) break;
      const ids = page.map((row) => row.subject_id);
      await runWrites(manager, countHistories(await historiesOf(manager, ids)));
      subjects += ids.length;
      after = ids[ids.length - 1]!;
      onProgress(subjects);
    }
    await manager.query(
      `INSERT INTO consent_standing_basis (fingerprint) VALUES ($1)
       ON CONFLICT (singleton) DO UPDATE SET fingerprint = excluded.fingerprint, counted_at = now()`,
      [fingerprint],
    );
    return subjects;
  });
}

/**
 * Forgets what the standings were counted under (the projector no longer keeps them): when it
 * keeps them again, it counts them afresh from the read model.
 */
export async function forgetStandingsBasis(dataSource: DataSource): Promise<void> {
  await dataSource.query('DELETE FROM consent_standing_basis');
}

async function basisOf(manager: EntityManager): Promise<string | undefined> {
  const [row] = (await manager.query('SELECT fingerprint FROM consent_standing_basis')) as Array<{
    fingerprint: string;
  }>;
  return row?.fingerprint;
}

/** The subjects' events in log order, one history per subject. */
async function historiesOf(
  manager: EntityManager,
  subjectIds: readonly string[],
): Promise<PositionedEvent[][]> {
  const rows: ConsentEventRow[] = await manager.query(
    `SELECT * FROM consent_event WHERE subject_id = ANY($1)
      ORDER BY subject_id, source_topic, source_partition, source_offset`,
    [subjectIds],
  );
  const histories = new Map<string, PositionedEvent[]>();
  for (const row of rows) {
    const event: ConsentEvent = eventFromRow(row);
    const history = histories.get(event.subjectId) ?? [];
    history.push({
      event,
      position: {
        topic: row.source_topic,
        partition: row.source_partition,
        offset: String(row.source_offset),
      },
    });
    histories.set(event.subjectId, history);
  }
  return [...histories.values()];
}
