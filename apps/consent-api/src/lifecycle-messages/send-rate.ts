/**
 * A token bucket: up to `perSecond` sends a second on average, bursts up to a second's worth.
 * Pure: the caller gives the clock and waits the answer.
 */
export class SendRate {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = Math.max(1, perSecond);
    this.refilledAt = now;
  }

  /** Takes a token; returns how many ms to wait before using it (0: now). */
  take(now: number): number {
    const capacity = Math.max(1, this.perSecond);
    this.tokens = Math.min(
      capacity,
      this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond,
    );
    this.refilledAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
