import { defaultTransactionalCampaigns, loadDownstreamSystems } from '@consent-ledger/config';
import type {
  AppConfig,
  LoadedConsentPolicy,
  TransactionalCampaigns,
  VendorEndpoint,
  VendorIdentifier,
} from '@consent-ledger/config';
import type { LifecycleMessage, LifecycleMessageKind } from '@consent-ledger/persistence';

/** How long the API waits for the email platform to take one message. */
const SEND_TIMEOUT_MS = 10_000;

const campaignOf: Record<LifecycleMessageKind, keyof TransactionalCampaigns> = {
  RECONSENT_REQUEST: 'reconsentRequest',
  RECONSENT_REMINDER: 'reconsentReminder',
  RENEWAL_REMINDER: 'renewalReminder',
  CONSENT_LAPSED: 'consentLapsed',
};

/** A send the platform refused for good (4xx but 408/429): retrying the same call cannot help. */
export class MessageRefused extends Error {}

/**
 * Sends lifecycle messages through the email platform's transactional send, shaped like Braze's
 * `POST /transactional/v1/campaigns/{campaign}/send`: the platform's template holds the words;
 * the link, the purposes and the dates travel as trigger properties. The message key is both
 * `external_send_id` and the Idempotency-Key, so a message sent again after a crash is one send.
 * People are named as the platform knows them: our subject id, or their email address opened
 * from the identity vault at call time.
 */
export class EmailPlatformMessagesClient {
  constructor(
    private readonly endpoint: VendorEndpoint,
    private readonly campaigns: TransactionalCampaigns,
    private readonly identifiedBy: VendorIdentifier,
    private readonly emailOf: (subjectId: string) => Promise<string | undefined>,
  ) {}

  /** The client of the configured email platform (downstream-systems.yaml, EMAIL_PLATFORM_URL). */
  static configured(
    config: AppConfig,
    policy: LoadedConsentPolicy,
    emailOf: (subjectId: string) => Promise<string | undefined>,
  ): EmailPlatformMessagesClient {
    const system = loadDownstreamSystems(
      config.connectors.downstreamSystemsFile,
      policy.taxonomy,
    ).get('email-platform');
    return new EmailPlatformMessagesClient(
      config.connectors.emailPlatform,
      system?.transactionalCampaigns ?? defaultTransactionalCampaigns,
      system?.identifiedBy ?? 'external-id',
      emailOf,
    );
  }

  async send(
    message: LifecycleMessage,
    properties: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    const campaign = this.campaigns[campaignOf[message.kind]];
    const response = await fetch(
      `${this.endpoint.url}/transactional/v1/campaigns/${encodeURIComponent(campaign)}/send`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.endpoint.apiKey}`,
          'idempotency-key': message.messageKey,
        },
        body: JSON.stringify({
          external_send_id: message.messageKey,
          trigger_properties: properties,
          recipient: await this.recipient(message.subjectId),
        }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      },
    );
    await response.arrayBuffer();
    if (response.ok) return;
    const refused = response.status >= 400 && response.status < 500;
    if (refused && response.status !== 408 && response.status !== 429)
      throw new MessageRefused(`the email platform refused the message: HTTP ${response.status}`);
    throw new Error(`the email platform did not take the message: HTTP ${response.status}`);
  }

  private async recipient(subjectId: string): Promise<Record<string, string>> {
    if (this.identifiedBy === 'external-id') return { external_user_id: subjectId };
    const email = await this.emailOf(subjectId);
    if (!email) throw new MessageRefused('the identity vault holds no email address for them');
    return { email };
  }
}
