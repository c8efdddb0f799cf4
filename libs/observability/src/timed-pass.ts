import type { Logger } from '@nestjs/common';

/**
 * A pass of work run at the instant it is next due, not on an interval: after each pass `next`
 * says when the following one is (the earliest known due time, bounded by the caller's longest
 * sleep), `wakeAt` brings it forward when something sooner turns up, and one pass runs at a time
 * (`run` waits for the one in progress, then runs another). A failed pass is logged with `failure`
 * and tried again after `retryMs`.
 */
export class TimedPass {
  private timer?: NodeJS.Timeout;
  private timerAt = Number.POSITIVE_INFINITY;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly pass: () => Promise<number>,
    private readonly next: (now: number) => Promise<number>,
    private readonly failure: string,
    private readonly retryMs = 1_000,
  ) {}

  start(): void {
    this.wakeAt(Date.now());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Runs a pass now (after the one in progress); resolves with what it returned. */
  async run(): Promise<number> {
    while (this.running) await this.running.catch(() => 0);
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Wakes at `at` unless a wake is due sooner already. */
  wakeAt(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => void this.wake(), Math.max(0, at - Date.now()));
  }

  private async wake(): Promise<void> {
    this.timerAt = Number.POSITIVE_INFINITY;
    let next: number;
    try {
      await this.run();
      next = await this.next(Date.now());
    } catch (error) {
      this.logger.warn({ msg: this.failure, error: (error as Error).message });
      next = Date.now() + this.retryMs;
    }
    this.wakeAt(next);
  }
}
