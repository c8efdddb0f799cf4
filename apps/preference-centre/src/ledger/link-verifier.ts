import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { verifyLinkToken } from '@consent-ledger/signed-links';
import type { LinkVerification } from '@consent-ledger/signed-links';
import type { ConsentApiClient } from './consent-api.client';

/** Shortest time between two fetches of the keys when a link names a key not known yet. */
const REFETCH_INTERVAL_MS = 5_000;

/**
 * Verifies preference links with the consent API's public signing keys, fetched at the first
 * link and again when a link names a key the centre does not know yet (after a rotation), at most
 * once per five seconds, so that links with made-up key ids cannot make it hammer the API.
 */
export class LinkVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;

  constructor(private readonly api: ConsentApiClient) {}

  async verify(
    token: string,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<LinkVerification> {
    const first = verifyLinkToken(token, this.keys, nowSeconds);
    if (first.ok || first.refusal !== 'LINK.UNKNOWN_KEY') return first;
    if (Date.now() - this.fetchedAt < REFETCH_INTERVAL_MS) return first;
    await this.refresh();
    return verifyLinkToken(token, this.keys, nowSeconds);
  }

  private async refresh(): Promise<void> {
    this.fetchedAt = Date.now();
    const fetched = await this.api.linkKeys();
    this.keys = new Map(fetched.map((key) => [key.keyId, createPublicKey(key.publicKey)]));
  }
}
