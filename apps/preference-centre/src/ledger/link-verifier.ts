import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { verifyLinkToken } from '@consent-ledger/signed-links';
import type { LinkVerification } from '@consent-ledger/signed-links';
import type { ConsentApiClient } from './consent-api.client';

/** Shortest time between two fetches of the keys. */
const REFETCH_INTERVAL_MS = 1_000;

/**
 * Verifies preference links with the consent API's public signing keys, fetched at the first link
 * and again whenever a link names a key the centre does not know yet (after a rotation). Fetches
 * are one at a time and at most one a second: a link that comes sooner waits for the next one
 * (at most a second) rather than being refused, and links with made-up key ids cannot make the
 * centre hammer the API.
 */
export class LinkVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private fetching: Promise<void> | undefined;

  constructor(private readonly api: ConsentApiClient) {}

  async verify(
    token: string,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<LinkVerification> {
    const first = verifyLinkToken(token, this.keys, nowSeconds);
    if (first.ok || first.refusal !== 'LINK.UNKNOWN_KEY') return first;
    const askedAt = Date.now();
    await this.refreshedSince(askedAt);
    return verifyLinkToken(token, this.keys, nowSeconds);
  }

  /** Resolves once the keys were fetched after `since`. */
  private async refreshedSince(since: number): Promise<void> {
    while (this.fetchedAt < since) {
      this.fetching ??= this.refresh().finally(() => (this.fetching = undefined));
      await this.fetching;
    }
  }

  private async refresh(): Promise<void> {
    const wait = this.fetchedAt + REFETCH_INTERVAL_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const startedAt = Date.now();
    const fetched = await this.api.linkKeys();
    this.keys = new Map(fetched.map((key) => [key.keyId, createPublicKey(key.publicKey)]));
    this.fetchedAt = startedAt;
  }
}
