import type { VendorEndpoint } from '@consent-ledger/config';
import { NonRetriableError } from '@consent-ledger/kafka';
import { isErasure } from '../suppression-update';
import type { SuppressionTarget, SuppressionUpdate } from '../suppression-update';
import { callVendor } from '../vendor-http';
import type { VendorIdentifiers } from '../vendor-identifiers';

/** The request fields that name people, by what the platform knows them by. */
const fieldsFor = {
  'external-id': { subscription: 'external_id', deletion: 'external_ids' },
  email: { subscription: 'email', deletion: 'email_addresses' },
} as const;

/**
 * The email platform's subscription API, shaped like Braze's `POST /subscription/status/set`:
 * one subscription group per purpose, contacts keyed by external id (our pseudonymous subject
 * id) or by email address (opened from the identity vault at call time, see
 * downstream-systems.yaml `identifiedBy`), up to 50 per call for one group and state. Setting a state is idempotent;
 * the Idempotency-Key header (the cause event and purpose for a single update, the call's key
 * for several) lets the platform drop a repeated call outright.
 */
export class EmailPlatformClient implements SuppressionTarget {
  readonly name = 'email-platform';
  readonly maxUpdatesPerCall = 50;

  constructor(
    private readonly endpoint: VendorEndpoint,
    private readonly subscriptionGroups: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
    private readonly identifiers: VendorIdentifiers,
  ) {}

  callKey(update: SuppressionUpdate): string {
    return `${update.purpose}|${update.allowed}`;
  }

  async deliver(updates: readonly SuppressionUpdate[], idempotencyKey: string): Promise<void> {
    const [first] = updates;
    if (!first) return;
    if (isErasure(first)) return this.deleteUsers(updates, idempotencyKey);
    const group = this.subscriptionGroups[first.purpose];
    if (!group)
      throw new NonRetriableError(
        'SINK.NO_SUBSCRIPTION_GROUP',
        `no subscription group is configured for ${first.purpose}`,
      );
    await callVendor(
      this.name,
      `${this.endpoint.url}/subscription/status/set`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.endpoint.apiKey}`,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({
          subscription_group_id: group,
          subscription_state: first.allowed ? 'subscribed' : 'unsubscribed',
          [fieldsFor[this.identifiers.identifiedBy].subscription]: await this.identifiers.of(
            updates.map((update) => update.subjectId),
          ),
        }),
      },
      this.timeoutMs,
    );
  }

  /**
   * Erased subjects: `POST /users/delete` (Braze's user delete, up to 50 external ids or email
   * addresses), which removes the profile and its attributes; deleting a user the platform does
   * not hold succeeds.
   */
  private async deleteUsers(
    updates: readonly SuppressionUpdate[],
    idempotencyKey: string,
  ): Promise<void> {
    await callVendor(
      this.name,
      `${this.endpoint.url}/users/delete`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.endpoint.apiKey}`,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({
          [fieldsFor[this.identifiers.identifiedBy].deletion]: await this.identifiers.of(
            updates.map((update) => update.subjectId),
          ),
        }),
      },
      this.timeoutMs,
    );
  }
}
