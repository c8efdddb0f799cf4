import type { DataSource } from 'typeorm';
import { waitFor } from './wait-for';

/**
 * Waits until the projector has applied `eventCount` events of these subjects and its outbox has
 * published every decision change: the read model and consent.state.v1 then agree.
 */
export async function waitForProjectionSettled(
  dataSource: DataSource,
  subjects: readonly string[],
  eventCount: number,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const [{ applied }] = await dataSource.query(
        'SELECT count(*)::int AS applied FROM consent_event WHERE subject_id = ANY($1)',
        [subjects],
      );
      const [{ waiting }] = await dataSource.query(
        'SELECT count(*)::int AS waiting FROM consent_outbox',
      );
      return applied === eventCount && waiting === 0;
    },
    { timeoutMs, description: 'the burst projected and published' },
  );
}
