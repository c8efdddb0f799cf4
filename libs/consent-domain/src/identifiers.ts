import { subjectIdPattern } from './consent-event';
import { ISO_3166_SUBDIVISIONS } from './iso-3166-codes';

/** The jurisdiction code for a place we do not know (ISO 3166 keeps ZZ for such private use). */
export const UNKNOWN_JURISDICTION = 'ZZ';

let subdivisions: ReadonlyMap<string, ReadonlySet<string>> | undefined;

/**
 * Whether `code` is an ISO 3166-1 alpha-2 country (DE) or an ISO 3166-2 subdivision (US-CA) that
 * exists, by the vetted list in iso-3166-codes.ts, or ZZ for unknown. Case matters: codes are
 * upper case.
 */
export function isKnownJurisdiction(code: string): boolean {
  if (code === UNKNOWN_JURISDICTION) return true;
  subdivisions ??= new Map(
    Object.entries(ISO_3166_SUBDIVISIONS).map(([country, codes]) => [
      country,
      new Set(codes.split(' ')),
    ]),
  );
  const [country, subdivision, ...rest] = code.split('-');
  const known = subdivisions.get(country!);
  if (!known || rest.length > 0) return false;
  return subdivision === undefined || known.has(subdivision);
}

/** The kinds of direct identifier an opaque id must not be. */
export type DirectIdentifierKind = 'EMAIL_ADDRESS' | 'PHONE_NUMBER' | 'CARD_NUMBER';

const emailAddress = /[^\s@]+@[^\s@]+\.[A-Za-z]{2,}/;
/** Separators people write phone numbers with: (030) 123-45 67, +49.30.1234567. */
const phoneSeparators = /[\s().-]/g;

/**
 * Card numbers by their issuer prefixes and lengths (Visa, Mastercard, American Express,
 * Discover, JCB, Diners Club, UnionPay, Maestro), valid by the Luhn check. A long numeric id
 * (a database sequence, a Snowflake id) passes the Luhn check one time in ten, so the prefix and
 * length must match a card scheme too.
 */
const cardSchemes: ReadonlyArray<{ readonly prefix: RegExp; readonly lengths: readonly number[] }> =
  [
    { prefix: /^4/, lengths: [13, 16, 19] },
    { prefix: /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] },
    { prefix: /^3[47]/, lengths: [15] },
    { prefix: /^(6011|65|64[4-9])/, lengths: [16, 19] },
    { prefix: /^35(2[89]|[3-8]\d)/, lengths: [16, 19] },
    { prefix: /^3(0[0-5]|[689])/, lengths: [14, 16, 19] },
    { prefix: /^62/, lengths: [16, 17, 18, 19] },
    { prefix: /^(50|5[6-9]|6\d)/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
  ];

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function looksLikeCardNumber(value: string): boolean {
  const digits = value.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return false;
  return (
    cardSchemes.some(
      (scheme) => scheme.prefix.test(digits) && scheme.lengths.includes(digits.length),
    ) && passesLuhn(digits)
  );
}

/**
 * A phone number as people write one: international (+49 30 1234567, 0049…) or with the
 * separators of a written number ((030) 123-4567). Bare digits are not taken for one: numeric ids
 * are common and opaque.
 */
function looksLikePhoneNumber(value: string): boolean {
  const digits = value.replace(phoneSeparators, '');
  if (!/^(\+|00)?\d{7,15}$/.test(digits)) return false;
  return /^(\+|00)/.test(value) || (digits !== value && /^[\d\s().+-]+$/.test(value));
}

/** The kind of direct identifier `value` looks like, if any. */
export function directIdentifierKind(value: string): DirectIdentifierKind | undefined {
  if (emailAddress.test(value)) return 'EMAIL_ADDRESS';
  if (looksLikeCardNumber(value)) return 'CARD_NUMBER';
  if (looksLikePhoneNumber(value)) return 'PHONE_NUMBER';
  return undefined;
}

/** What an opaque id (a subject id, an actor id) may look like. */
export interface OpaqueIdRules {
  /** The accepted shape; the default is letters, digits and . _ : @ - */
  readonly pattern: RegExp;
  /** Refuse ids that look like an email address, a phone number or a card number. */
  readonly refuseDirectIdentifiers: boolean;
}

export const DEFAULT_OPAQUE_ID_RULES: OpaqueIdRules = {
  pattern: /^[A-Za-z0-9._:@-]{1,128}$/,
  refuseDirectIdentifiers: true,
};

const directIdentifierNames: Readonly<Record<DirectIdentifierKind, string>> = {
  EMAIL_ADDRESS: 'an email address',
  PHONE_NUMBER: 'a phone number',
  CARD_NUMBER: 'a card number',
};

/** A refusal of an id, with a stable code; its message never repeats the id. */
export interface IdProblem {
  readonly code: 'IDENTIFIER.NOT_OPAQUE' | 'IDENTIFIER.INVALID_SHAPE';
  readonly message: string;
}

/**
 * Why `value` must not be recorded as an id because it is a direct identifier, or undefined.
 * The message never repeats the value: it may be the very personal data that must not be logged.
 */
export function directIdentifierProblem(
  value: string,
  rules: OpaqueIdRules = DEFAULT_OPAQUE_ID_RULES,
): IdProblem | undefined {
  const kind = rules.refuseDirectIdentifiers ? directIdentifierKind(value) : undefined;
  return kind
    ? {
        code: 'IDENTIFIER.NOT_OPAQUE',
        message: `looks like ${directIdentifierNames[kind]}: send a pseudonymous id, and keep direct identifiers in the identity vault`,
      }
    : undefined;
}

/**
 * Why `value` is not an acceptable subject id, or undefined: a direct identifier, or outside the
 * accepted shape. Whatever the configured shape, a subject id keeps to letters, digits and
 * . _ : @ - (it is part of topic keys, paths and file names).
 */
export function opaqueIdProblem(
  value: string,
  rules: OpaqueIdRules = DEFAULT_OPAQUE_ID_RULES,
): IdProblem | undefined {
  const direct = directIdentifierProblem(value, rules);
  if (direct) return direct;
  if (value.length > 128 || !subjectIdPattern.test(value) || !rules.pattern.test(value))
    return {
      code: 'IDENTIFIER.INVALID_SHAPE',
      message: `must be a pseudonymous id of letters, digits and . _ : @ - (at most 128) matching ${rules.pattern.source}`,
    };
  return undefined;
}
