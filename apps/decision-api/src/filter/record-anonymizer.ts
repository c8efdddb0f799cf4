import { createHmac } from 'node:crypto';
import type { DataFieldRules, FieldTreatment } from '@consent-ledger/config';

const isoDate = /^(\d{4})-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Dates to their year, numbers to their range, other text to its first two characters. */
export function generalize(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const magnitude = Math.abs(value) < 10 ? 10 : 10 ** Math.floor(Math.log10(Math.abs(value)));
    const low = Math.floor(value / magnitude) * magnitude;
    return `${low}-${low + magnitude - 1}`;
  }
  if (typeof value === 'string') {
    const date = isoDate.exec(value);
    if (date) return date[1];
    return value.length <= 2 ? '*' : `${value.slice(0, 2)}*`;
  }
  return null;
}

/**
 * Strips what identifies a person from a record whose subject did not allow the purpose, field by
 * field according to each field's data category. Only top-level fields are treated; a nested
 * object under an unlisted or non-kept field is nulled as a whole.
 */
export class RecordAnonymizer {
  constructor(
    private readonly rules: DataFieldRules,
    private readonly key: string,
  ) {}

  anonymize(record: Record<string, unknown>): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(record)) {
      result[field] = this.treat(this.rules.treatmentOf.get(field) ?? 'null', value);
    }
    return result;
  }

  private treat(treatment: FieldTreatment, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (treatment) {
      case 'keep':
        return value;
      case 'null':
        return null;
      case 'hash':
        return createHmac('sha256', this.key)
          .update(typeof value === 'string' ? value : JSON.stringify(value))
          .digest('hex');
      case 'generalize':
        return generalize(value);
      default: {
        const unreachable: never = treatment;
        throw new Error(`unhandled treatment ${String(unreachable)}`);
      }
    }
  }
}
