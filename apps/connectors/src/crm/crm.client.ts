import type { VendorEndpoint } from '@consent-ledger/config';
import type { SuppressionTarget, SuppressionUpdate } from '../suppression-update';
import { callVendor } from '../vendor-http';

/** `marketing.email` -> `consent_marketing_email`: the contact property holding the flag. */
export const crmPropertyFor = (purpose: string) => `consent_${purpose.replace(/[^a-z0-9]/g, '_')}`;

/**
 * The CRM's contact API, shaped like HubSpot's `PATCH /crm/v3/objects/contacts/{id}?idProperty=`:
 * one boolean property per purpose on the contact found by our pseudonymous subject id.
 */
export class CrmClient implements SuppressionTarget {
  readonly name = 'crm';

  constructor(
    private readonly endpoint: VendorEndpoint,
    private readonly timeoutMs: number,
  ) {}

  async deliver(update: SuppressionUpdate): Promise<void> {
    const property = crmPropertyFor(update.purpose);
    await callVendor(
      this.name,
      `${this.endpoint.url}/crm/v3/objects/contacts/${encodeURIComponent(update.subjectId)}?idProperty=external_id`,
      {
        method: 'PATCH',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.endpoint.apiKey}`,
          'idempotency-key': `${update.causeEventId}:${update.purpose}`,
        },
        body: JSON.stringify({
          properties: {
            [property]: String(update.allowed),
            [`${property}_reason`]: update.reason,
            [`${property}_updated_at`]: update.effectiveAt.toISOString(),
          },
        }),
      },
      this.timeoutMs,
    );
  }
}
