import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { AppError, validationFailed, type FieldProblem } from './app-error';
import { textRefusalCodes } from './request-fields';

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

const refusedTextCodes: ReadonlySet<string> = new Set(Object.values(textRefusalCodes));

/**
 * `value` as the schema reads it; otherwise an AppError naming each field that failed: 422 when
 * the request is well-shaped and only text values are refused (control characters, unpaired
 * surrogates, over-long values), 400 for anything else.
 */
export function parseWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems: FieldProblem[] = parsed.error.issues.map((issue) => ({
    field: fieldPath(issue.path),
    code: issueCode(issue),
    message: issue.message,
  }));
  if (problems.every((problem) => refusedTextCodes.has(problem.code))) {
    throw new AppError(
      422,
      'REQUEST.TEXT_REFUSED',
      'Request text refused',
      `${problems.length} field(s) hold text that cannot be accepted`,
      problems,
    );
  }
  throw validationFailed(problems);
}

function issueCode(issue: z.core.$ZodIssue): string {
  const own =
    issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  return typeof own === 'string' ? own : `REQUEST.${issue.code.toUpperCase()}`;
}

/** Validates a body or query against a zod schema; a failure is a 400 naming each field. */
@Injectable()
export class ZodPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(private readonly schema: Schema) {}

  transform(value: unknown): z.output<Schema> {
    return parseWithSchema(this.schema, value);
  }
}
