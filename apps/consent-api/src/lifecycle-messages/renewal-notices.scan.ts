import { renewalMonths } from '@consent-ledger/consent-domain';
import type { PurposeTaxonomy } from '@consent-ledger/consent-domain';
import type { ExpiryPosition, LifecycleStore } from '@consent-ledger/persistence';

/** Grants read per statement. */
const PAGE = 1_000;
/** How long after a grant was accepted its expiry is looked for again (projection lag). */
const EXPECT_FOR_MS = 3_000;

/**
 * Finds the grants of purposes with a renewal period as they come within the reminder lead of
 * their expiry, and queues a reminder and a lapse notice for each. It reads each expiry once, in
 * expiry order, from where the last scan stopped; a grant accepted with an expiry behind that
 * point (a channel's sooner expiry) moves the start back for a few seconds, until the read model
 * holds it. Queued messages are unique per grant, so reading one again is harmless.
 */
export class RenewalNoticesScan {
  readonly purposes: readonly string[];
  private position: ExpiryPosition;
  private expected: Array<{ readonly expiresAt: number; readonly until: number }> = [];

  constructor(
    private readonly store: LifecycleStore,
    taxonomy: PurposeTaxonomy,
    private readonly leadMs: number,
    now: number,
  ) {
    this.purposes = [...taxonomy.purposes.keys()].filter(
      (purpose) => renewalMonths(taxonomy, purpose) !== null,
    );
    this.position = { expiresAt: new Date(now), subjectId: '', purpose: '' };
  }

  /** A grant was accepted with this expiry; true when the scan must look behind where it is. */
  expect(expiresAt: Date, now: number): boolean {
    if (expiresAt.getTime() > this.position.expiresAt.getTime()) return false;
    this.expected.push({ expiresAt: expiresAt.getTime(), until: now + EXPECT_FOR_MS });
    return true;
  }

  /** Queues notices for every grant newly within the lead; returns how many pages found grants. */
  async run(now: number): Promise<number> {
    if (this.purposes.length === 0) return 0;
    this.expected = this.expected.filter(({ until }) => until > now);
    const earliest = Math.min(...this.expected.map(({ expiresAt }) => expiresAt - 1));
    let position: ExpiryPosition =
      earliest < this.position.expiresAt.getTime()
        ? { expiresAt: new Date(earliest), subjectId: '', purpose: '' }
        : this.position;
    const to = new Date(now + this.leadMs);
    let read = 0;
    for (;;) {
      const last = await this.store.enqueueRenewalNotices(
        this.purposes,
        this.leadMs,
        position,
        to,
        PAGE,
      );
      if (!last) break;
      position = last;
      read += 1;
    }
    if (position.expiresAt.getTime() > this.position.expiresAt.getTime()) this.position = position;
    return read;
  }
}
