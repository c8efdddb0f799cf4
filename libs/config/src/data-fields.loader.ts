import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

export const fieldTreatments = ['keep', 'null', 'hash', 'generalize'] as const;
export type FieldTreatment = (typeof fieldTreatments)[number];

const dataFieldsFileSchema = z.object({
  version: z.string().min(1),
  treatments: z.record(
    z.string().regex(/^[a-z_]+$/, 'category names are lower-case words'),
    // `null` unquoted in YAML reads as null: the `null` treatment.
    z.preprocess((value) => value ?? 'null', z.enum(fieldTreatments)),
  ),
  fields: z.record(z.string().min(1), z.string()),
});

/** Per record field, what anonymisation does to it; fields not listed are nulled. */
export interface DataFieldRules {
  readonly version: string;
  readonly treatmentOf: ReadonlyMap<string, FieldTreatment>;
}

/** Reads the data-fields file; every field must name a category that has a treatment. */
export function loadDataFieldRules(file: string): DataFieldRules {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`DATA_FIELDS_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = dataFieldsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `DATA_FIELDS_FILE ${file} is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const { version, treatments, fields } = parsed.data;
  const unknown = Object.entries(fields).filter(([, category]) => !(category in treatments));
  if (unknown.length > 0) {
    throw new Error(
      `DATA_FIELDS_FILE ${file}: ${unknown.map(([field, category]) => `field '${field}' names category '${category}', which has no treatment`).join('; ')}`,
    );
  }
  return {
    version,
    treatmentOf: new Map(
      Object.entries(fields).map(([field, category]) => [field, treatments[category]!]),
    ),
  };
}
