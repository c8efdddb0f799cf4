import type { FastifyReply } from 'fastify';
import type { Admitted, DashboardContext } from '../dashboard-context';
import { csvLines } from '../figures/csv';

/**
 * Sends a CSV export and records it in the admin audit log (who, by the identity provider's
 * subject: never a name; which list; how many rows) before the first byte leaves: an export that
 * cannot be recorded is not sent.
 */
export async function sendCsv(
  dashboard: DashboardContext,
  reply: FastifyReply,
  admitted: Admitted,
  target: string,
  header: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<FastifyReply> {
  await dashboard.parts.sources.operations.recordExport(
    `person:${admitted.session.subject}`,
    target,
    { rows: rows.length },
  );
  const file = target.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
  return reply
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${file}.csv"`)
    .type('text/csv; charset=utf-8')
    .send(csvLines(header, rows));
}
