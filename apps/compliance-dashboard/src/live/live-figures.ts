import type { DashboardView } from '../access/dashboard-access';

/** One figure a page shows, by the key its element carries (`data-live`), and the view it is on. */
export interface LiveFigure {
  readonly view: DashboardView;
  readonly key: string;
  readonly text: string;
  /** A state the element shows beside its text (`over` turns a system red). */
  readonly state?: string;
}

/** The figures a person may see: only those of the views open to them. */
export function figuresFor(
  figures: readonly LiveFigure[],
  views: readonly DashboardView[],
): LiveFigure[] {
  return figures.filter((figure) => views.includes(figure.view));
}

/** The figures that changed since `before` (by key, text and state). */
export function changedFigures(
  before: ReadonlyMap<string, LiveFigure>,
  now: readonly LiveFigure[],
): LiveFigure[] {
  return now.filter((figure) => {
    const was = before.get(figure.key);
    return was?.text !== figure.text || was.state !== figure.state;
  });
}

/** A count as the pages print it (thousands separated). */
export const formatCount = (value: number | null): string =>
  value === null ? '—' : value.toLocaleString('en-GB');

/** Milliseconds as the pages print them. */
export const formatMs = (value: number | null): string =>
  value === null
    ? '—'
    : `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-GB')} ms`;
