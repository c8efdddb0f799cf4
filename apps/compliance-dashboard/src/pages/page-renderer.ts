import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { appFile } from '../app-files';
import type { DashboardView } from '../access/dashboard-access';
import { formatCount, formatMs } from '../live/live-figures';
import type { DashboardSession } from '../sign-in/dashboard-session';

const VIEWS_DIR = appFile('views');

/** The views' names in the navigation. */
export const VIEW_TITLES: Readonly<Record<DashboardView, string>> = {
  consent: 'Consent by state',
  rates: 'Rates over time',
  propagation: 'Propagation',
  pending: 'Pending work',
  findings: 'Findings',
};

/** What every page is given beside its own model. */
export interface PageFrame {
  /** The page's title (also its one h1). */
  readonly title: string;
  readonly session?: DashboardSession;
  /** The views open to the person, for the navigation. */
  readonly views?: readonly DashboardView[];
  /** The view the page belongs to (marked in the navigation). */
  readonly current?: DashboardView;
  /** Whether the page's figures update live (it then listens to /live). */
  readonly live?: boolean;
}

/**
 * The dashboard's pages: Handlebars templates inside the layout. Handlebars escapes every value;
 * no template uses the unescaped form for anything but the layout's already-rendered body.
 */
export class PageRenderer {
  private readonly engine = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor() {
    this.engine.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.engine.registerHelper('count', (value: number | null) => formatCount(value));
    this.engine.registerHelper(
      'plural',
      (value: number, one: string, many: string) =>
        `${formatCount(value)} ${value === 1 ? one : many}`,
    );
    this.engine.registerHelper('ms', (value: number | null) => formatMs(value));
    this.engine.registerHelper('percent', (value: number | null) =>
      value === null ? '—' : `${(value * 100).toFixed(1)}%`,
    );
    this.engine.registerHelper('when', (value: Date | string | null) =>
      value === null ? '—' : new Date(value).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
    );
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
    const nav = (frame.views ?? []).map((view) => ({
      href: `/${view}`,
      label: VIEW_TITLES[view],
      current: view === frame.current,
    }));
    const data = {
      ...model,
      title: frame.title,
      live: frame.live === true,
      person: frame.session ? { name: frame.session.name } : undefined,
      csrf: frame.session?.csrf,
      nav,
    };
    return this.layout({ ...data, body: template(data) });
  }
}
