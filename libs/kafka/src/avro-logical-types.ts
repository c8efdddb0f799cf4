import { Type, types } from 'avsc';

/**
 * `timestamp-millis` as a JavaScript Date (avsc leaves logical types to the application).
 * A number of milliseconds is accepted on write too.
 */
export class TimestampMillisType extends types.LogicalType {
  protected override _fromValue(value: number): Date {
    return new Date(value);
  }

  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return value.getTime();
    return typeof value === 'number' ? value : undefined;
  }

  protected override _resolve(writer: Type): ((value: number | Date) => Date) | undefined {
    // A writer compiled with this logical type has already made the Date: one per value, not two.
    if (Type.isType(writer, 'logical:timestamp-millis'))
      return (value: number | Date) => (value instanceof Date ? value : new Date(value));
    return Type.isType(writer, 'long') ? (value: number | Date) => new Date(value) : undefined;
  }
}

/** The logical types every Avro type in the system is compiled with. */
export const avroLogicalTypes = { 'timestamp-millis': TimestampMillisType };
