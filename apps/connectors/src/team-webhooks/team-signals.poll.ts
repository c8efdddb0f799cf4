import type { DownstreamSystem } from '@consent-ledger/config';
import type { OperationsQueries, TeamNotificationStore } from '@consent-ledger/persistence';
import type { TeamEvent } from './team-events';

/** How far back the first look reaches after a start (ids make a repeat harmless). */
const FIRST_LOOK_BACK_MS = 3_600_000;
/** The window propagation is measured over, as the dashboard shows it. */
const PROPAGATION_WINDOW_SECONDS = 300;

/**
 * What the database tells internal teams, looked at every TEAM_WEBHOOKS_POLL_INTERVAL_MS: erasures
 * done (the data key destroyed), `verify` runs with findings, and each downstream system's p99
 * propagation crossing its objective (told when it goes over, not again until it was back under).
 */
export class TeamSignalsPoll {
  private erasuresSince: Date;
  private verifySince: Date;
  private readonly overObjective = new Set<string>();

  constructor(
    private readonly store: TeamNotificationStore,
    private readonly operations: OperationsQueries,
    private readonly systems: readonly DownstreamSystem[],
    now: number,
  ) {
    this.erasuresSince = new Date(now - FIRST_LOOK_BACK_MS);
    this.verifySince = new Date(now - FIRST_LOOK_BACK_MS);
  }

  async events(now: number): Promise<TeamEvent[]> {
    return [
      ...(await this.erasuresDone()),
      ...(await this.verifyFindings()),
      ...(await this.propagation(now)),
    ];
  }

  private async erasuresDone(): Promise<TeamEvent[]> {
    const done = await this.store.erasuresDone(this.erasuresSince);
    if (done.length > 0) this.erasuresSince = done.at(-1)!.doneAt;
    return done.map(({ subjectId, doneAt }) => ({
      id: `erasure-done:${subjectId}`,
      type: 'erasure-done',
      occurredAt: doneAt.toISOString(),
      summary: `Erasure of subject ${subjectId} done: its data key is destroyed`,
      details: { subjectId },
    }));
  }

  private async verifyFindings(): Promise<TeamEvent[]> {
    const runs = await this.store.verifyRunsWithFindings(this.verifySince);
    if (runs.length > 0) this.verifySince = runs.at(-1)!.finishedAt;
    return runs.map((run) => ({
      id: `verify-finding:${run.runId}`,
      type: 'verify-finding',
      occurredAt: run.finishedAt.toISOString(),
      summary: `verify found ${run.findingCount} problem(s) in ${run.topic}`,
      details: { ...run, finishedAt: run.finishedAt.toISOString() },
    }));
  }

  private async propagation(now: number): Promise<TeamEvent[]> {
    const figures = await this.operations.propagation(
      PROPAGATION_WINDOW_SECONDS,
      this.systems.map(({ name }) => name),
    );
    const events: TeamEvent[] = [];
    for (const figure of figures) {
      const objective = this.systems.find(
        ({ name }) => name === figure.sink,
      )?.propagationObjectiveMs;
      const over = objective !== undefined && figure.p99Ms !== null && figure.p99Ms > objective;
      if (!over) {
        this.overObjective.delete(figure.sink);
        continue;
      }
      if (this.overObjective.has(figure.sink)) continue;
      this.overObjective.add(figure.sink);
      events.push({
        id: `propagation-over-objective:${figure.sink}:${Math.floor(now / 300_000)}`,
        type: 'propagation-over-objective',
        occurredAt: new Date(now).toISOString(),
        summary: `Withdrawals reach ${figure.sink} in p99 ${Math.round(figure.p99Ms!)} ms, over its objective of ${objective} ms`,
        details: { system: figure.sink, ...figure, objectiveMs: objective },
      });
    }
    return events;
  }
}
