/**
 * Why PostgreSQL could not store this record's values, checked before any statement runs: a text
 * holding NUL (U+0000, which `text` and `jsonb` refuse), a text longer than `maxTextLength`, or a
 * date that is not a date. Undefined when every value can be stored. For consumers of topics that
 * anyone with write access can produce to: such a record is dead-lettered, never retried.
 */
export function unstorableValueIn(
  record: unknown,
  maxTextLength = 10_000,
  path = '',
): string | undefined {
  if (typeof record === 'string') {
    if (record.includes('\u0000')) return `${path || 'value'} holds NUL (U+0000)`;
    if (record.length > maxTextLength)
      return `${path || 'value'} is ${record.length} characters long (at most ${maxTextLength})`;
    return undefined;
  }
  if (record instanceof Date)
    return Number.isNaN(record.getTime()) ? `${path || 'value'} is not a valid date` : undefined;
  if (Array.isArray(record)) {
    for (const [index, item] of record.entries()) {
      const found = unstorableValueIn(item, maxTextLength, `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (record !== null && typeof record === 'object') {
    for (const [name, value] of Object.entries(record)) {
      const found = unstorableValueIn(value, maxTextLength, path ? `${path}.${name}` : name);
      if (found) return found;
    }
  }
  return undefined;
}
