import type { VendorEndpoint } from '@consent-ledger/config';
import { NonRetriableError } from '@consent-ledger/kafka';
import { isErasure } from '../suppression-update';
import type { SuppressionTarget, SuppressionUpdate } from '../suppression-update';
import { callVendor } from '../vendor-http';
import type { VendorIdentifiers } from '../vendor-identifiers';

/** The contact property that holds what the CRM knows people by. */
const idProperties = { 'external-id': 'external_id', email: 'email' } as const;

/** `marketing.email` -> `consent_marketing_email`: the contact property holding the flag. */
export const crmPropertyFor = (purpose: string) => `consent_${purpose.replace(/[^a-z0-9]/g, '_')}`;

/**
 * The CRM's contact API, shaped like HubSpot's: one boolean property per purpose on the contact
 * found by our pseudonymous subject id (or by email address, opened from the identity vault at
 * call time: downstream-systems.yaml `identifiedBy`); `PATCH /crm/v3/objects/contacts/{id}?idProperty=` for one
 * update, `POST /crm/v3/objects/contacts/batch/update` for up to 100.
 */
export class CrmClient implements SuppressionTarget {
  readonly name = 'crm';
  readonly maxUpdatesPerCall = 100;

  constructor(
    private readonly endpoint: VendorEndpoint,
    private readonly timeoutMs: number,
    private readonly identifiers: VendorIdentifiers,
  ) {}

  /** One purpose per call: a batch update may name each contact once. */
  callKey(update: SuppressionUpdate): string {
    return update.purpose;
  }

  async deliver(updates: readonly SuppressionUpdate[], idempotencyKey: string): Promise<void> {
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.endpoint.apiKey}`,
      'idempotency-key': idempotencyKey,
    };
    const [single] = updates;
    const ids = await this.identifiers.of(updates.map((update) => update.subjectId));
    const idProperty = idProperties[this.identifiers.identifiedBy];
    if (single && isErasure(single)) return this.gdprDelete(updates, ids, headers);
    if (updates.length === 1 && single) {
      await callVendor(
        this.name,
        `${this.endpoint.url}/crm/v3/objects/contacts/${encodeURIComponent(ids[0]!)}?idProperty=${idProperty}`,
        { method: 'PATCH', headers, body: JSON.stringify({ properties: properties(single) }) },
        this.timeoutMs,
      );
      return;
    }
    await callVendor(
      this.name,
      `${this.endpoint.url}/crm/v3/objects/contacts/batch/update`,
      {
        method: 'POST',
        headers,
        body: JSON.stringify({
          inputs: updates.map((update, index) => ({
            id: ids[index],
            idProperty,
            properties: properties(update),
          })),
        }),
      },
      this.timeoutMs,
    );
  }

  /**
   * Erased subjects: HubSpot's `POST /crm/v3/objects/contacts/gdpr-delete`, one contact per call
   * (found by our subject id or email address), which deletes the contact and its history for good. The calls of
   * one delivery go out together; a repeat after a partial failure deletes again, harmlessly (a
   * contact already gone answers 404, taken as done).
   */
  private async gdprDelete(
    updates: readonly SuppressionUpdate[],
    ids: readonly string[],
    headers: Record<string, string>,
  ): Promise<void> {
    const idProperty = idProperties[this.identifiers.identifiedBy];
    await Promise.all(
      ids.map(async (id, index) => {
        try {
          await callVendor(
            this.name,
            `${this.endpoint.url}/crm/v3/objects/contacts/gdpr-delete`,
            {
              method: 'POST',
              headers: {
                ...headers,
                'idempotency-key': `${headers['idempotency-key']}|${updates[index]!.subjectId}`,
              },
              body: JSON.stringify({ objectId: id, idProperty }),
            },
            this.timeoutMs,
          );
        } catch (error) {
          if (!(error instanceof NonRetriableError && error.code === 'VENDOR.HTTP_404'))
            throw error;
        }
      }),
    );
  }
}

function properties(update: SuppressionUpdate): Record<string, string> {
  const property = crmPropertyFor(update.purpose);
  return {
    [property]: String(update.allowed),
    [`${property}_reason`]: update.reason,
    [`${property}_updated_at`]: update.effectiveAt.toISOString(),
  };
}
