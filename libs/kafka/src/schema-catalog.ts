import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import type { Schema } from 'avsc';
import { avroLogicalTypes } from './avro-logical-types';

/** One version of an Avro record as kept in schemas/<record>/v<N>.avsc. */
export interface SchemaVersion {
  readonly record: string;
  readonly version: number;
  /** The schema text as committed (what the registry stores). */
  readonly text: string;
  readonly type: Type;
}

const versionFile = /^v(\d+)\.avsc$/;

/**
 * Reads every version of `record` from the schemas directory, oldest first. Each must parse and
 * compile with avsc; the versions must be numbered 1..N without gaps.
 */
export function readSchemaVersions(schemasDir: string, record: string): SchemaVersion[] {
  const dir = join(schemasDir, record);
  const versions = readdirSync(dir)
    .map((file) => ({ file, match: versionFile.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => {
      const text = readFileSync(join(dir, file), 'utf8');
      let type: Type;
      try {
        type = Type.forSchema(JSON.parse(text) as Schema, { logicalTypes: avroLogicalTypes });
      } catch (error) {
        throw new Error(
          `${join(dir, file)} is not a valid Avro schema: ${(error as Error).message}`,
        );
      }
      return { record, version: Number(match[1]), text, type };
    })
    .sort((a, b) => a.version - b.version);
  versions.forEach((entry, index) => {
    if (entry.version !== index + 1) {
      throw new Error(
        `${dir}: versions must be v1..vN without gaps, found v${entry.version} at ${index + 1}`,
      );
    }
  });
  if (versions.length === 0) throw new Error(`${dir} holds no v<N>.avsc file`);
  return versions;
}

/** The text of the newest version of `record`: the reader schema consumers decode with. */
export function latestSchemaText(schemasDir: string, record: string): string {
  const versions = readSchemaVersions(schemasDir, record);
  return versions[versions.length - 1]!.text;
}

/** The Confluent TopicNameStrategy subject for a topic's values. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Fields of a consent event the fold never reads (see FoldableEvent in the domain). */
const unfoldedFields = new Set(['actor', 'evidence', 'idempotencyKey', 'previousEventHash']);

/**
 * A reader schema for replays: the consent event schema without the fields the fold never
 * reads, so Avro resolution skips them instead of building strings that are thrown away.
 */
export function foldReaderSchema(consentEventSchemaText: string): string {
  const schema = JSON.parse(consentEventSchemaText) as { fields: Array<{ name: string }> };
  return JSON.stringify({
    ...schema,
    fields: schema.fields.filter((field) => !unfoldedFields.has(field.name)),
  });
}
