import {
  directIdentifierProblem,
  isKnownJurisdiction,
  subjectIdPattern,
} from '@consent-ledger/consent-domain';
import { z } from 'zod';

/** Stable codes of the text checks; a request refused by one of them only is a 422. */
export const textRefusalCodes = {
  controlCharacter: 'REQUEST.CONTROL_CHARACTER',
  unpairedSurrogate: 'REQUEST.UNPAIRED_SURROGATE',
  tooLong: 'REQUEST.TEXT_TOO_LONG',
} as const;

/** Stable codes of the identifier checks; a request refused by these (and text checks) is a 422. */
export const identifierRefusalCodes = {
  notOpaque: 'IDENTIFIER.NOT_OPAQUE',
  unknownJurisdiction: 'IDENTIFIER.UNKNOWN_JURISDICTION',
} as const;

/** C0 controls (NUL among them), DEL and C1 controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, less line feed, carriage return and tab: for texts written in lines (notices). */
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_CHARACTER_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface TextFieldOptions {
  readonly minLength?: number;
  /** Allows line feeds, carriage returns and tabs (a notice's text); other controls stay refused. */
  readonly multiline?: boolean;
  /** A shape the value must have, checked after the text checks (its refusal is a 400). */
  readonly pattern?: { readonly regex: RegExp; readonly message: string };
}

/**
 * A free text field of a request: at most `maxLength` UTF-16 code units, no NUL or other control
 * character, no unpaired surrogate. Such values are refused at the door because past it they are
 * poison: PostgreSQL refuses NUL in text, a Kafka key or header of megabytes is refused by the
 * broker, and a lone surrogate does not survive UTF-8.
 */
export function textField(maxLength: number, options: TextFieldOptions = {}) {
  const control = options.multiline ? CONTROL_CHARACTER_BUT_LINES : CONTROL_CHARACTER;
  return z
    .string()
    .min(options.minLength ?? 1)
    .superRefine((value, context) => {
      const refuse = (code: string, message: string) =>
        context.addIssue({ code: 'custom', message, params: { code }, input: value });
      if (value.length > maxLength) {
        refuse(textRefusalCodes.tooLong, `must be at most ${maxLength} characters`);
      } else if (control.test(value)) {
        refuse(
          textRefusalCodes.controlCharacter,
          `must not contain control characters (found U+${codePointHex(value.match(control)![0])})`,
        );
      } else if (UNPAIRED_SURROGATE.test(value)) {
        refuse(
          textRefusalCodes.unpairedSurrogate,
          'must be well-formed Unicode (unpaired surrogate)',
        );
      } else if (options.pattern && !options.pattern.regex.test(value)) {
        context.addIssue({
          code: 'invalid_format',
          format: 'regex',
          message: options.pattern.message,
          input: value,
        });
      }
    });
}

function codePointHex(character: string): string {
  return character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A subject id in a path, query or body: pseudonymous, never an email address, a phone number or
 * a card number (the refusal does not repeat the value).
 */
export const subjectIdSchema = textField(128).pipe(
  z.string().superRefine((value, context) => {
    // One look for a direct identifier, then the shape: every decision request passes here.
    const problem = directIdentifierProblem(value);
    if (problem)
      context.addIssue({
        code: 'custom',
        message: problem.message,
        params: { code: problem.code },
      });
    else if (!subjectIdPattern.test(value))
      context.addIssue({
        code: 'invalid_format',
        format: 'regex',
        message: 'must be a pseudonymous subject id',
        input: value,
      });
  }),
);

/** An ISO 3166-1 alpha-2 (DE) or ISO 3166-2 (US-CA) code that exists, or ZZ for unknown. */
export const jurisdictionSchema = textField(10, { minLength: 2 }).superRefine((value, context) => {
  if (!isKnownJurisdiction(value))
    context.addIssue({
      code: 'custom',
      message:
        'must be an ISO 3166-1 alpha-2 (DE) or ISO 3166-2 (US-CA) code that exists; ZZ if unknown',
      params: { code: identifierRefusalCodes.unknownJurisdiction },
    });
});

/** True when `value` is a subject id the API would accept (for values read from a stream). */
export function isSubjectId(value: string): boolean {
  // The pattern admits no control character or surrogate, so length and pattern suffice (and
  // cost a fraction of a schema parse, once per record of a filter stream).
  return value.length >= 1 && value.length <= 128 && subjectIdPattern.test(value);
}
