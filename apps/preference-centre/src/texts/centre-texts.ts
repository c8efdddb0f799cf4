import { appFile } from '../app-files';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PurposeTaxonomy } from '@consent-ledger/consent-domain';
import { parse } from 'yaml';
import { z } from 'zod';
import { LOCALES } from './locales';
import type { Locale } from './locales';

const purposeText = z.strictObject({
  title: z.string().min(1),
  explanation: z.string().min(1),
  whenOff: z.string().min(1),
});

const textsFileSchema = z.strictObject({
  brand: z.strictObject({
    name: z.string().min(1),
    logo: z
      .string()
      .regex(/^(\/assets\/[\w.-]+|https:\/\/\S+)$/, 'a path under /assets/ or an https:// URL'),
    accentColour: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #0b5cad'),
  }),
  notice: z.strictObject({ noticeId: z.string().min(1), version: z.string().min(1) }),
  /** The email platform's transactional campaign that sends sign-in codes. */
  oneTimeCode: z
    .strictObject({ campaignId: z.string().min(1) })
    .default({ campaignId: 'preference-centre-sign-in-code' }),
  purposes: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        texts: z.strictObject(
          Object.fromEntries(LOCALES.map((locale) => [locale, purposeText])) as Record<
            Locale,
            typeof purposeText
          >,
        ),
      }),
    )
    .min(1),
});

export type PurposeTexts = z.output<typeof purposeText>;
export type CentreTextsFile = z.output<typeof textsFileSchema>;

/** The centre's words: the operator's (brand, notice, purposes) and the page's own messages. */
export interface CentreTexts extends CentreTextsFile {
  readonly messages: Readonly<Record<Locale, Readonly<Record<string, string>>>>;
}

/** The page's own messages, one file per language, each with the same keys as English. */
const MESSAGES_DIR = appFile('messages');

/**
 * Reads the texts file (PREFERENCE_CENTRE_TEXTS_FILE) and the message files; fails at boot naming
 * what is wrong: a purpose the taxonomy does not know, a language missing, a message key missing.
 */
export function loadCentreTexts(file: string, taxonomy: PurposeTaxonomy): CentreTexts {
  const parsed = textsFileSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `PREFERENCE_CENTRE_TEXTS_FILE ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const unknown = parsed.data.purposes.filter((p) => !taxonomy.purposes.has(p.id)).map((p) => p.id);
  if (unknown.length > 0)
    throw new Error(
      `PREFERENCE_CENTRE_TEXTS_FILE ${file}: not purposes of the taxonomy: ${unknown.join(', ')}`,
    );
  const messages = Object.fromEntries(
    LOCALES.map((locale) => [
      locale,
      JSON.parse(readFileSync(join(MESSAGES_DIR, `${locale}.json`), 'utf8')) as Record<
        string,
        string
      >,
    ]),
  ) as Record<Locale, Record<string, string>>;
  for (const locale of LOCALES) {
    const missing = Object.keys(messages.en).filter((key) => !(key in messages[locale]));
    if (missing.length > 0) throw new Error(`messages/${locale}.json lacks ${missing.join(', ')}`);
  }
  return { ...parsed.data, messages };
}

/** A message in the locale, its `{name}` placeholders filled (the template escapes the result). */
export function message(
  texts: Pick<CentreTexts, 'messages'>,
  locale: Locale,
  key: string,
  values: Readonly<Record<string, string>> = {},
): string {
  const template = texts.messages[locale][key] ?? texts.messages.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
