/**
 * At most `limit` attempts per key (a visitor's address) in a sliding window, in memory: a bound
 * on what one visitor can try before the consent API's own per-person limits apply.
 */
export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts an attempt; false when the key already used up its window. */
  take(key: string, now = Date.now()): boolean {
    const recent = (this.attempts.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.attempts.set(key, recent);
      return false;
    }
    recent.push(now);
    this.attempts.set(key, recent);
    if (this.attempts.size > 100_000) this.forgetOld(now);
    return true;
  }

  private forgetOld(now: number): void {
    for (const [key, times] of this.attempts)
      if (times.every((at) => at <= now - this.windowMs)) this.attempts.delete(key);
  }
}
