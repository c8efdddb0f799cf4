import { Injectable } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { AppError, validationFailed } from './app-error';
import type { FieldProblem } from './app-error';
import { identifierRefusalCodes, textRefusalCodes } from './request-fields';

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
const refusedIdentifierCodes: ReadonlySet<string> = new Set(Object.values(identifierRefusalCodes));

/**
 * `value` as the schema reads it; otherwise an AppError naming each field that failed: 422 when
 * the request is well-shaped and only values are refused (control characters, unpaired
 * surrogates, over-long values; a subject id that is a direct identifier, a jurisdiction that does
 * not exist), 400 for anything else.
 */
export function parseWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  field?: string,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems: FieldProblem[] = parsed.error.issues.map((issue) => ({
    field: field && issue.path.length === 0 ? field : fieldPath(issue.path),
    code: issueCode(issue),
    message: issue.message,
  }));
  const refusedValue = (code: string) =>
    refusedTextCodes.has(code) || refusedIdentifierCodes.has(code);
  if (
    problems.every((problem) => refusedValue(problem.code)) &&
    problems.some((problem) => refusedIdentifierCodes.has(problem.code))
  ) {
    throw new AppError(
      'REQUEST.IDENTIFIER_REFUSED',
      'Identifier refused',
      `${problems.length} field(s) hold an identifier that cannot be accepted`,
      problems,
    );
  }
  if (problems.every((problem) => refusedTextCodes.has(problem.code))) {
    throw new AppError(
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

/**
 * Validates a body, a query or a path parameter against a zod schema; a failure names each field
 * (a path parameter by `field`).
 */
@Injectable()
export class ZodPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly field?: string,
  ) {}

  transform(value: unknown): z.output<Schema> {
    return parseWithSchema(this.schema, value, this.field);
  }
}
