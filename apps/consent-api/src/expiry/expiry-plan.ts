/** How long an expiry this instance expects is looked for after its instant (projection lag). */
const AWAIT_MS = 3_000;
/** How often it is looked for meanwhile. */
const RECHECK_MS = 100;
/**
 * How long a recorded expiry is not submitted again: until the projector has applied it, the
 * read model still shows its grant (a repeat would be harmless, a duplicate by its key, but costs
 * a write).
 */
const REMEMBER_MS = 60_000;

/**
 * When the expiry schedule wakes next, and which lapsed grants it still has to record. Pure: the
 * clock is passed in.
 */
export class ExpiryPlan {
  /** Expiries of grants accepted here, due within the rescan interval, oldest first. */
  private awaited: number[] = [];
  /** Grants whose EXPIRE was recorded, by when. */
  private readonly recordedAt = new Map<string, number>();

  constructor(private readonly rescanMs: number) {}

  /**
   * A grant accepted here expires at `expiresAt`. True when the schedule should wake then: it is
   * due before the next rescan, which would otherwise find it too late.
   */
  expect(expiresAt: number, now: number): boolean {
    if (expiresAt > now + this.rescanMs) return false;
    if (!this.awaited.includes(expiresAt)) {
      const index = this.awaited.findIndex((instant) => instant > expiresAt);
      this.awaited.splice(index === -1 ? this.awaited.length : index, 0, expiresAt);
    }
    return true;
  }

  /** The next wake after a pass at `now`, given the next expiry the read model holds. */
  next(now: number, storedNext: number | null): number {
    this.awaited = this.awaited.filter((instant) => instant > now - AWAIT_MS);
    for (const [eventId, at] of this.recordedAt)
      if (at <= now - REMEMBER_MS) this.recordedAt.delete(eventId);
      else break;
    // An expected expiry that has come may not be in the read model yet: look again shortly.
    if (this.awaited.length > 0 && this.awaited[0]! <= now) return now + RECHECK_MS;
    return Math.min(
      storedNext ?? Number.POSITIVE_INFINITY,
      this.awaited[0] ?? Number.POSITIVE_INFINITY,
      now + this.rescanMs,
    );
  }

  /** Whether this lapsed grant still needs its EXPIRE recorded by this instance. */
  due(grantEventId: string, now: number): boolean {
    const at = this.recordedAt.get(grantEventId);
    return at === undefined || at <= now - REMEMBER_MS;
  }

  recorded(grantEventIds: readonly string[], now = Date.now()): void {
    for (const eventId of grantEventIds) {
      this.recordedAt.delete(eventId);
      this.recordedAt.set(eventId, now);
    }
  }
}
