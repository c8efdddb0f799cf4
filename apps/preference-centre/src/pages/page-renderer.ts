import { appFile } from '../app-files';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { message } from '../texts/centre-texts';
import type { CentreTexts } from '../texts/centre-texts';
import { LOCALES } from '../texts/locales';
import type { Locale } from '../texts/locales';

const VIEWS_DIR = appFile('views');

/** What every page is given beside its own model. */
export interface PageFrame {
  readonly locale: Locale;
  /** The page's title (also its one h1). */
  readonly title: string;
  /** The CSRF token of the session's forms, when there is a session. */
  readonly csrf?: string;
  /** Where the language switch sends the person back to. */
  readonly path: string;
}

/**
 * The centre's pages: Handlebars templates (escaping every value by default; no template here uses
 * the unescaped form for anything but the layout's already-rendered body), each inside the layout,
 * with `{{t "key" name=value}}` for a message in the page's language.
 */
export class PageRenderer {
  private readonly engine = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(private readonly texts: CentreTexts) {
    const texts_ = texts;
    this.engine.registerHelper(
      't',
      function (this: unknown, key: string, options: Handlebars.HelperOptions) {
        const root = options.data.root as PageFrame;
        return message(texts_, root.locale, key, options.hash as Record<string, string>);
      },
    );
    this.engine.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    for (const file of readdirSync(VIEWS_DIR).filter((name) => name.endsWith('.hbs')))
      this.pages.set(
        file.replace(/\.hbs$/, ''),
        this.engine.compile(readFileSync(join(VIEWS_DIR, file), 'utf8'), { strict: false }),
      );
    this.layout = this.pages.get('layout')!;
  }

  render(page: string, frame: PageFrame, model: Record<string, unknown> = {}): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`no page '${page}'`);
    const data = {
      ...model,
      ...frame,
      brand: this.texts.brand,
      languages: LOCALES.map((code) => ({
        code,
        name: this.texts.messages[code]['language.name'],
        selected: code === frame.locale,
      })),
    };
    return this.layout({ ...data, body: template(data) });
  }
}
