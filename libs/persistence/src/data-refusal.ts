/**
 * PostgreSQL refusing a value for what it is, not for when it came: retrying the same record can
 * never succeed. SQLSTATE class 22 (data exception: NUL in text, an invalid date, a value too
 * long) and 54000 (program limit exceeded: an index row over the B-tree's maximum, from a key of
 * kilobytes). Anything else (a lost connection, a serialization failure, a restart) is transient.
 */
export function isDataRefusal(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code === '54000');
}

const conditionNames: Readonly<Record<string, string>> = {
  '22001': 'string data right truncation',
  '22003': 'numeric value out of range',
  '22007': 'invalid datetime format',
  '22008': 'datetime field overflow',
  '22021': 'character not in repertoire',
  '22P02': 'invalid text representation',
  '22P05': 'untranslatable character',
  '54000': 'program limit exceeded',
};

/**
 * Why PostgreSQL refused a record, by SQLSTATE and condition name only: the server's message may
 * quote the value, which can be personal data, and the reason goes to logs and dead-letter headers.
 */
export function dataRefusalReason(error: unknown): string {
  const code = sqlState(error) ?? 'unknown';
  const name = conditionNames[code] ?? (code.startsWith('22') ? 'data exception' : 'refused');
  return `PostgreSQL refused the record: SQLSTATE ${code} (${name})`;
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
