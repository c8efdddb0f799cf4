import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '@consent-ledger/config';
import { blindIndex, LocalKeyFileKms, newDataKey, sealIdentifier } from '@consent-ledger/vault';
import { Client } from 'pg';
import { parse, stringify } from 'yaml';

/**
 * A copy of the shipped downstream-systems.yaml in a folder of its own, with the email platform
 * keyed by email address (`identifiedBy: email`); returns its path, for DOWNSTREAM_SYSTEMS_FILE.
 */
export function downstreamSystemsKeyedByEmail(): string {
  const systems = parse(readFileSync('deploy/policy/downstream-systems.yaml', 'utf8')) as {
    systems: Record<string, Record<string, unknown>>;
  };
  systems.systems['email-platform']!.identifiedBy = 'email';
  const file = join(mkdtempSync(join(tmpdir(), 'systems-')), 'downstream-systems.yaml');
  writeFileSync(file, stringify(systems));
  return file;
}

/** Rows written per statement when seeding. */
const SEED_BATCH = 5_000;

/**
 * Puts an email address into the identity vault for each subject, as `PUT .../identifiers` does
 * (a data key each, wrapped by the local key file's KEK; the address sealed and blind-indexed),
 * straight into the database: for benchmarks that need tens of thousands of them beforehand.
 */
export async function seedVaultEmails(
  config: AppConfig,
  subjectIds: readonly string[],
  emailOf: (subjectId: string) => string,
): Promise<void> {
  const kms = LocalKeyFileKms.open(config.vault.keyFile);
  const client = new Client({ connectionString: config.database.url });
  await client.connect();
  try {
    for (let from = 0; from < subjectIds.length; from += SEED_BATCH) {
      const rows = await Promise.all(
        subjectIds.slice(from, from + SEED_BATCH).map((id) => sealedEmail(kms, id, emailOf(id))),
      );
      await client.query(
        `INSERT INTO subject_data_key (subject_id, kek_id, wrapped_key)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])`,
        [rows.map((r) => r.subjectId), rows.map((r) => r.kekId), rows.map((r) => r.wrappedKey)],
      );
      await client.query(
        `INSERT INTO subject_identifier (subject_id, kind, blind_index, sealed_value)
         SELECT s, 'EMAIL', b, v FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS t(s, b, v)`,
        [rows.map((r) => r.subjectId), rows.map((r) => r.index), rows.map((r) => r.sealed)],
      );
    }
  } finally {
    await client.end();
  }
}

/** A subject's new data key, wrapped, and its address sealed and blind-indexed with it. */
async function sealedEmail(kms: LocalKeyFileKms, subjectId: string, email: string) {
  const dataKey = newDataKey();
  const wrapped = await kms.wrap(dataKey);
  return {
    subjectId,
    kekId: wrapped.kekId,
    wrappedKey: wrapped.bytes,
    index: blindIndex(kms.blindIndexKey(), 'EMAIL', email),
    sealed: sealIdentifier(dataKey, subjectId, 'EMAIL', email),
  };
}
