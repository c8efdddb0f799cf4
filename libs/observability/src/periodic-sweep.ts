import type { Logger } from '@nestjs/common';

/**
 * Runs a sweep every `intervalMs`, one at a time (a tick that finds the last sweep still running
 * does nothing); a sweep that fails is logged with `failure` and the next tick tries again.
 */
export class PeriodicSweep {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly logger: Logger,
    private readonly sweep: () => Promise<number>,
    private readonly failure: string,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.run(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sweep now; what it returns, or 0 when one was already running or it failed. */
  async run(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      return await this.sweep();
    } catch (error) {
      this.logger.warn({ msg: this.failure, error: (error as Error).message });
      return 0;
    } finally {
      this.running = false;
    }
  }
}
