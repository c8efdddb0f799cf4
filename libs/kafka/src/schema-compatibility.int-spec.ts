import { readdirSync } from 'node:fs';
import { loadConfig } from '@consent-ledger/config';
import { uniqueName } from '@consent-ledger/testing';
import { AvroSerde } from './avro-serde';
import { readSchemaVersions } from './schema-catalog';

describe('schemas stay BACKWARD compatible, checked by the real registry', () => {
  const serde = AvroSerde.connect(loadConfig().schemaRegistry);

  it.each(readdirSync('schemas'))(
    'schemas/%s registers every version in order under BACKWARD',
    async (record) => {
      const versions = readSchemaVersions('schemas', record);
      const subject = `${uniqueName(`compat.${record}`)}-value`;
      // Each version is registered after its predecessors; the registry refuses an incompatible one.
      await expect(
        serde.registerVersions(
          subject,
          versions.map((version) => version.text),
        ),
      ).resolves.toBeGreaterThan(0);
    },
  );
});
