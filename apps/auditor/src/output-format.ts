import { stringify } from 'csv-stringify/sync';

export const outputFormats = ['table', 'json', 'csv', 'ndjson'] as const;
export type OutputFormat = (typeof outputFormats)[number];

type Row = Readonly<Record<string, unknown>>;

/** A cell as text: dates as ISO-8601, objects as JSON, absent as empty. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A cell as a terminal may show it: control characters (escape sequences that could move the
 * cursor, rewrite earlier lines or set the window title) become U+FFFD.
 */
function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '\ufffd');
}

/** Columns: the keys of every row, in first-seen order. */
function columnsOf(rows: readonly Row[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

/**
 * Renders rows in the chosen format: an aligned text table for people, JSON (an array), CSV
 * (RFC 4180, header row) or NDJSON (one object per line) for tools.
 */
export function formatRows<T extends object>(records: readonly T[], format: OutputFormat): string {
  const rows = records as unknown as readonly Row[];
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'ndjson':
      return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    case 'csv': {
      const columns = columnsOf(rows);
      return stringify(
        rows.map((row) => columns.map((column) => cellText(row[column]))),
        // A cell starting with = + - @ (a note, an agent id) is not run as a formula by a
        // spreadsheet: csv-stringify prefixes it with a quote (OWASP CSV injection).
        { header: true, columns, escape_formulas: true },
      );
    }
    case 'table': {
      if (rows.length === 0) return '(no rows)\n';
      const columns = columnsOf(rows);
      const cells = rows.map((row) => columns.map((column) => printable(cellText(row[column]))));
      const widths = columns.map((column, index) =>
        Math.max(column.length, ...cells.map((line) => line[index]!.length)),
      );
      const line = (values: readonly string[]) =>
        values
          .map((value, index) => value.padEnd(widths[index]!))
          .join('  ')
          .trimEnd();
      return [
        line(columns),
        line(widths.map((width) => '-'.repeat(width))),
        ...cells.map(line),
        '',
      ].join('\n');
    }
  }
}
