import { readdirSync } from 'node:fs';
import { readSchemaVersions } from './schema-catalog';

const schemasDir = 'schemas';
const records = readdirSync(schemasDir);

interface AvroField {
  name: string;
  doc?: string;
  type: unknown;
}

/** Every field of every record in the schema, nested records included. */
function fieldsOf(schema: unknown, path = ''): Array<{ path: string; field: AvroField }> {
  if (Array.isArray(schema)) return schema.flatMap((branch) => fieldsOf(branch, path));
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as { type?: unknown; fields?: AvroField[] };
  if (node.type === 'record' && node.fields) {
    return node.fields.flatMap((field) => [
      { path: `${path}${field.name}`, field },
      ...fieldsOf(field.type, `${path}${field.name}.`),
    ]);
  }
  return [];
}

describe.each(records)('schemas/%s', (record) => {
  const versions = readSchemaVersions(schemasDir, record);

  it('compiles with avsc and round-trips a generated value in every version', () => {
    for (const version of versions) {
      const value = version.type.random();
      expect(version.type.fromBuffer(version.type.toBuffer(value))).toEqual(value);
    }
  });

  it('documents every field', () => {
    const latest = versions[versions.length - 1]!;
    const undocumented = fieldsOf(JSON.parse(latest.text)).filter(({ field }) => !field.doc);
    expect(undocumented.map(({ path }) => path)).toEqual([]);
  });

  it('lets the latest version read what every earlier version wrote (BACKWARD), locally', () => {
    const latest = versions[versions.length - 1]!;
    for (const older of versions) {
      const resolver = latest.type.createResolver(older.type);
      const written = older.type.toBuffer(older.type.random());
      expect(() => latest.type.fromBuffer(written, resolver)).not.toThrow();
    }
  });
});
