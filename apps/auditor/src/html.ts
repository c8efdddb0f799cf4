/** The auditor's HTML reports: escaping, tables, headers, and JSON-or-page answers. */
import { preferredMediaType } from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Every value in a report is escaped: notice texts and user agents are not trusted markup. */
export const esc = (value: unknown): string =>
  value === null || value === undefined
    ? '—'
    : (value instanceof Date ? value.toISOString() : String(value)).replace(
        /[&<>"']/g,
        (c) => escapes[c]!,
      );

/** A table of the rows (header cells scoped to their column), or "None." when there are none. */
export const table = (headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>) =>
  rows.length === 0
    ? '<p class="none">None.</p>'
    : `<table><thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((row) => `<tr>${row.map((cell) => `<td>${esc(cell)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;

/**
 * A report page is a document, not an app: it runs no script, loads nothing from elsewhere, and may
 * not be framed (clickjacking) or sniffed as another type. Its styles are inline.
 */
export const HTML_SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

/** A report's formats a request may ask for by `format=`; otherwise its Accept header decides. */
export type ReportFormat = 'json' | 'html' | undefined;

/** Answers `report` as JSON, or as its page when `format=html` or the client prefers HTML. */
export async function sendJsonOrPage<Report>(
  reply: FastifyReply,
  format: ReportFormat,
  report: Report,
  renderPage: (report: Report) => string,
): Promise<void> {
  const page =
    format === 'html' ||
    (!format &&
      preferredMediaType(reply.request.headers.accept, ['application/json', 'text/html']) ===
        'text/html');
  if (page)
    await reply
      .status(200)
      .headers(HTML_SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .send(renderPage(report));
  else await reply.status(200).send(report);
}
