import { standingColumns, consentTable, jurisdictionsOf } from '../figures/consent-table';
import { systemPropagation } from '../figures/operations-figures';
import type { ConsumerGroupLag } from '@consent-ledger/kafka';
import type { CallsInFlight, PropagationFigures } from '@consent-ledger/persistence';
import type { DashboardSources } from '../dashboard-sources';
import { changedFigures, formatCount, formatMs } from './live-figures';
import type { LiveFigure } from './live-figures';

type Listener = (changed: readonly LiveFigure[]) => void;

/**
 * Measures every live figure once per interval while at least one page listens, whatever the
 * number of pages open, and hands each listener what changed. Pages are sent only what their
 * person may see (live.routes.ts filters).
 */
export class LiveHub {
  private readonly listeners = new Set<Listener>();
  private latest = new Map<string, LiveFigure>();
  private timer?: NodeJS.Timeout;
  private measuring = false;

  constructor(
    private readonly sources: DashboardSources,
    private readonly log: (error: unknown) => void,
  ) {}

  /** The figures as last measured (measured now when nobody listened yet). */
  async current(): Promise<LiveFigure[]> {
    if (this.latest.size === 0) await this.tick();
    return [...this.latest.values()];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.tick(), this.sources.settings.liveIntervalMs);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.measuring) return;
    this.measuring = true;
    try {
      const now = await measureFigures(this.sources);
      const changed = changedFigures(this.latest, now);
      this.latest = new Map(now.map((figure) => [figure.key, figure]));
      if (changed.length > 0) for (const listener of this.listeners) listener(changed);
    } catch (error) {
      this.log(error);
    } finally {
      this.measuring = false;
    }
  }
}

/** Every live figure: consent counts (all and per jurisdiction), propagation, pending work. */
export async function measureFigures(sources: DashboardSources): Promise<LiveFigure[]> {
  const purposes = sources.purposes.map((purpose) => purpose.id);
  const [counts, propagation, inFlight, lags, erasures] = await Promise.all([
    sources.standings.counts(),
    sources.operations.propagation(
      sources.settings.propagationWindowSeconds,
      sources.systems.map((system) => system.name),
    ),
    sources.operations.callsInFlight(),
    sources.lags(),
    sources.operations.erasuresInProgress(1_000),
  ]);
  return [
    ...consentFigures(counts, purposes),
    ...propagationFigures(sources, propagation, inFlight, lags),
    { view: 'pending', key: 'pending:erasures', text: formatCount(erasures.length) },
  ];
}

/** Each count of the consent view, over all jurisdictions and within each. */
function consentFigures(
  counts: Awaited<ReturnType<DashboardSources['standings']['counts']>>,
  purposes: readonly string[],
): LiveFigure[] {
  const figures: LiveFigure[] = [];
  for (const jurisdiction of [undefined, ...jurisdictionsOf(counts)])
    for (const row of consentTable(counts, purposes, jurisdiction)) {
      const prefix = `consent:${jurisdiction ?? '*'}:${row.purpose}`;
      for (const column of standingColumns)
        figures.push({
          view: 'consent',
          key: `${prefix}:${column}`,
          text: formatCount(row.counts[column]),
        });
      figures.push({ view: 'consent', key: `${prefix}:total`, text: formatCount(row.total) });
    }
  return figures;
}

/** Each system's latency, state, work in flight, lag and dead letters, and the projector's lag. */
function propagationFigures(
  sources: DashboardSources,
  propagation: readonly PropagationFigures[],
  inFlight: readonly CallsInFlight[],
  lags: readonly ConsumerGroupLag[],
): LiveFigure[] {
  const figures: LiveFigure[] = [];
  const systems = systemPropagation(
    sources.systems,
    propagation,
    inFlight,
    lags,
    sources.consumerGroups.connectors,
    sources.deadLetters.counts(),
  );
  for (const system of systems) {
    const key = (field: string) => `propagation:${system.system}:${field}`;
    figures.push(
      { view: 'propagation', key: key('p50'), text: formatMs(system.p50Ms) },
      { view: 'propagation', key: key('p99'), text: formatMs(system.p99Ms), state: system.state },
      {
        view: 'propagation',
        key: key('state'),
        text: STATE_TEXT[system.state],
        state: system.state,
      },
      { view: 'propagation', key: key('withdrawals'), text: formatCount(system.withdrawals) },
      { view: 'propagation', key: key('in-flight'), text: formatCount(system.updatesInFlight) },
      { view: 'propagation', key: key('lag'), text: formatCount(system.lag) },
      { view: 'propagation', key: key('dead-letters'), text: formatCount(system.deadLetters) },
    );
  }
  const projector = lags.find((lag) => lag.groupId === sources.consumerGroups.projector);
  figures.push({
    view: 'propagation',
    key: 'propagation:projector:lag',
    text: formatCount(projector?.known ? projector.lag : null),
  });
  return figures;
}

/** What a system's state reads as (the colour is never the only sign). */
export const STATE_TEXT = {
  within: 'Within objective',
  over: 'Over objective',
  quiet: 'No withdrawals in the window',
} as const;
