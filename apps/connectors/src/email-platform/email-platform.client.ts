import type { VendorEndpoint } from '@consent-ledger/config';
import { NonRetriableError } from '@consent-ledger/kafka';
import type { SuppressionTarget, SuppressionUpdate } from '../suppression-update';
import { callVendor } from '../vendor-http';

/**
 * The email platform's subscription API, shaped like Braze's `POST /subscription/status/set`:
 * one subscription group per purpose, contacts keyed by external id (our pseudonymous subject
 * id). Setting a state is idempotent; the Idempotency-Key header (cause event and purpose) lets
 * the platform drop a repeat outright.
 */
export class EmailPlatformClient implements SuppressionTarget {
  readonly name = 'email-platform';

  constructor(
    private readonly endpoint: VendorEndpoint,
    private readonly subscriptionGroups: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
  ) {}

  async deliver(update: SuppressionUpdate): Promise<void> {
    const group = this.subscriptionGroups[update.purpose];
    if (!group)
      throw new NonRetriableError(
        'SINK.NO_SUBSCRIPTION_GROUP',
        `no subscription group is configured for ${update.purpose}`,
      );
    await callVendor(
      this.name,
      `${this.endpoint.url}/subscription/status/set`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.endpoint.apiKey}`,
          'idempotency-key': `${update.causeEventId}:${update.purpose}`,
        },
        body: JSON.stringify({
          subscription_group_id: group,
          subscription_state: update.allowed ? 'subscribed' : 'unsubscribed',
          external_id: [update.subjectId],
        }),
      },
      this.timeoutMs,
    );
  }
}
