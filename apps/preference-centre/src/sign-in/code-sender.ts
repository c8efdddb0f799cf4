import type { VendorEndpoint, VendorIdentifier } from '@consent-ledger/config';
import type { Locale } from '../texts/locales';

/** How long the centre waits for the email platform to take a code. */
const SEND_TIMEOUT_MS = 10_000;

/**
 * Sends one-time codes through the email platform's transactional send, shaped like Braze's
 * `POST /transactional/v1/campaigns/{campaign}/send`: the platform's template holds the words, the
 * code and its language travel as trigger properties, the recipient is named as the platform
 * knows people (our subject id, or the address the person typed when it is keyed by email).
 */
export class EmailPlatformCodeSender {
  constructor(
    private readonly endpoint: VendorEndpoint,
    private readonly campaignId: string,
    private readonly identifiedBy: VendorIdentifier,
  ) {}

  async send(
    code: { readonly codeId: string; readonly code: string; readonly subjectId: string },
    email: string,
    locale: Locale,
  ): Promise<void> {
    const response = await fetch(
      `${this.endpoint.url}/transactional/v1/campaigns/${encodeURIComponent(this.campaignId)}/send`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.endpoint.apiKey}`,
          'idempotency-key': code.codeId,
        },
        body: JSON.stringify({
          external_send_id: code.codeId,
          trigger_properties: { code: code.code, expires_in_minutes: 10, language: locale },
          recipient:
            this.identifiedBy === 'email' ? { email } : { external_user_id: code.subjectId },
        }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      },
    );
    await response.arrayBuffer();
    if (!response.ok)
      throw new Error(`the email platform refused the code: HTTP ${response.status}`);
  }
}
