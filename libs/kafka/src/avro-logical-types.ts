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

  protected override _resolve(writer: Type): ((value: number) => Date) | undefined {
    return Type.isType(writer, 'long', 'logical:timestamp-millis')
      ? (value: number) => new Date(value)
      : undefined;
  }
}

/** The logical types every Avro type in the system is compiled with. */
export const avroLogicalTypes = { 'timestamp-millis': TimestampMillisType };
