import type { DownstreamSystem } from '@consent-ledger/config';
import type { ConsumerGroupLag, DeadLetterTotal } from '@consent-ledger/kafka';
import type { CallsInFlight, PropagationFigures } from '@consent-ledger/persistence';

/** How a downstream system is doing against its objective. */
export type PropagationState = 'within' | 'over' | 'quiet';

/** One row of the propagation view. */
export interface SystemPropagation {
  readonly system: string;
  readonly description: string;
  readonly objectiveMs: number;
  readonly delivered: number;
  readonly withdrawals: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly state: PropagationState;
  /** Vendor calls written down and not yet confirmed, and the updates they carry. */
  readonly callsInFlight: number;
  readonly updatesInFlight: number;
  /** Records its connector has yet to read (null when its group has committed nothing). */
  readonly lag: number | null;
  readonly deadLetters: number;
}

/**
 * Each enabled system's propagation over the window: latency against its objective (over when the
 * window's p99 exceeds it, quiet when no withdrawal reached it), the calls in flight, its
 * connector's lag and the records it dead-lettered.
 */
export function systemPropagation(
  systems: readonly DownstreamSystem[],
  figures: readonly PropagationFigures[],
  inFlight: readonly CallsInFlight[],
  lags: readonly ConsumerGroupLag[],
  connectorGroups: ReadonlyMap<string, string>,
  deadLetters: readonly DeadLetterTotal[],
): SystemPropagation[] {
  return systems.map((system) => {
    const measured = figures.find((figure) => figure.sink === system.name);
    const calls = inFlight.find((entry) => entry.sink === system.name);
    const group = connectorGroups.get(system.name);
    const lag = lags.find((entry) => entry.groupId === group);
    const p99Ms = measured?.p99Ms ?? null;
    return {
      system: system.name,
      description: system.description,
      objectiveMs: system.propagationObjectiveMs,
      delivered: measured?.delivered ?? 0,
      withdrawals: measured?.withdrawals ?? 0,
      p50Ms: measured?.p50Ms ?? null,
      p99Ms,
      state: p99Ms === null ? 'quiet' : p99Ms > system.propagationObjectiveMs ? 'over' : 'within',
      callsInFlight: calls?.calls ?? 0,
      updatesInFlight: calls?.updates ?? 0,
      lag: lag?.known ? lag.lag : null,
      deadLetters: deadLetters
        .filter((total) => total.consumerGroup === group)
        .reduce((sum, total) => sum + total.letters, 0),
    };
  });
}
