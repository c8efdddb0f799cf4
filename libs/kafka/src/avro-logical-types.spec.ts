import { Type } from 'avsc';
import type { Schema } from 'avsc';
import { avroLogicalTypes } from './avro-logical-types';

const record = (timestamp: unknown): Schema =>
  ({ type: 'record', name: 'Event', fields: [{ name: 'at', type: timestamp }] }) as Schema;
const compiled = (schema: Schema) => Type.forSchema(schema, { logicalTypes: avroLogicalTypes });

describe('timestamp-millis as a Date', () => {
  const at = new Date(Date.UTC(2026, 10, 30, 21, 15, 30, 123));
  const reader = compiled(record({ type: 'long', logicalType: 'timestamp-millis' }));

  it('reads a writer compiled with the logical type (as the registry hands them out)', () => {
    const writer = compiled(record({ type: 'long', logicalType: 'timestamp-millis' }));
    const decoded = reader.fromBuffer(writer.toBuffer({ at }), reader.createResolver(writer));
    expect(decoded.at).toBeInstanceOf(Date);
    expect(decoded.at.getTime()).toBe(at.getTime());
  });

  it('reads a writer that knows it only as a long, and a plain long', () => {
    for (const writer of [
      Type.forSchema(record({ type: 'long', logicalType: 'timestamp-millis' })),
      Type.forSchema(record('long')),
    ]) {
      const decoded = reader.fromBuffer(
        writer.toBuffer({ at: at.getTime() }),
        reader.createResolver(writer),
      );
      expect(decoded.at).toEqual(at);
    }
  });
});
