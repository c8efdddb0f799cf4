import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { validationFailed } from './app-error';

/** Formats a zod issue path as `events[3].notice.version`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path.reduce<string>(
      (text, key) =>
        typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
      '',
    ) || '(body)'
  );
}

/** `value` as the schema reads it; otherwise a 400 AppError naming each field that failed. */
export function parseWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw validationFailed(
    parsed.error.issues.map((issue) => ({
      field: fieldPath(issue.path),
      code: `REQUEST.${issue.code.toUpperCase()}`,
      message: issue.message,
    })),
  );
}

/** Validates a body or query against a zod schema; a failure is a 400 naming each field. */
@Injectable()
export class ZodPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(private readonly schema: Schema) {}

  transform(value: unknown): z.output<Schema> {
    return parseWithSchema(this.schema, value);
  }
}
