import { Inject, Injectable } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import { APP_CONFIG, CONSENT_POLICY } from '@consent-ledger/config';
import type { AppConfig, LoadedConsentPolicy } from '@consent-ledger/config';
import { AppError } from '@consent-ledger/http';
import { ERASURE_STORE } from '@consent-ledger/persistence';
import type { ErasureStore } from '@consent-ledger/persistence';
import { LinkSigningKeyring, signLinkToken } from '@consent-ledger/signed-links';

/** The DI token of the {@link LinkSigningKeyring} links are signed with. */
export const LINK_SIGNING_KEYRING = Symbol('LINK_SIGNING_KEYRING');

export const linkSigningKeyringProvider: Provider = {
  provide: LINK_SIGNING_KEYRING,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => LinkSigningKeyring.open(config.preferenceLinks.keyFile),
};

/** What the operator's backend asks a link for. */
export interface PreferenceLinkRequest {
  readonly jurisdiction?: string | undefined;
  /** For one-click unsubscribe (RFC 8058): the purpose a POST to the link withdraws. */
  readonly purpose?: string | undefined;
  readonly ttlHours?: number | undefined;
}

/** A link to the preference centre, and the one-click unsubscribe headers when a purpose was named. */
export interface IssuedPreferenceLink {
  readonly url: string;
  readonly expiresAt: string;
  readonly keyId: string;
  readonly oneClickUnsubscribe?: {
    readonly url: string;
    /** To put in every message, as RFC 8058 asks (List-Unsubscribe with an https URI). */
    readonly headers: { readonly 'List-Unsubscribe': string; 'List-Unsubscribe-Post': string };
  };
}

/**
 * Signed, expiring links into the preference centre for one person, issued by the operator's
 * backend for its logged-in users and for its email templates. Signed with the current Ed25519 key
 * of the link keyring; the centre verifies them with the public keys alone.
 */
@Injectable()
export class PreferenceLinksService {
  constructor(
    @Inject(LINK_SIGNING_KEYRING) private readonly keyring: LinkSigningKeyring,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CONSENT_POLICY) private readonly policy: LoadedConsentPolicy,
    @Inject(ERASURE_STORE) private readonly erasures: ErasureStore,
  ) {}

  async issue(subjectId: string, request: PreferenceLinkRequest): Promise<IssuedPreferenceLink> {
    if (request.purpose !== undefined) this.requireConsentPurpose(request.purpose);
    if (await this.erasures.find(subjectId))
      throw new AppError(
        'SUBJECT.ERASED',
        'Subject erased',
        `Subject '${subjectId}' was erased at their request; there are no preferences to show.`,
      );
    return this.sign(subjectId, request);
  }

  /**
   * The link, signed, without looking whether the subject was erased: for a caller that knows
   * already (the lifecycle sender reads each person's latest choices, where an erasure shows,
   * right before it sends).
   */
  sign(subjectId: string, request: PreferenceLinkRequest): IssuedPreferenceLink {
    const issuedAt = Math.floor(Date.now() / 1000);
    const ttlSeconds =
      request.ttlHours === undefined
        ? this.config.preferenceLinks.defaultTtlSeconds
        : Math.round(request.ttlHours * 3_600);
    const { keyId, privateKey } = this.keyring.signingKey();
    const token = signLinkToken(
      {
        subjectId,
        jurisdiction: request.jurisdiction ?? null,
        ...(request.purpose === undefined ? {} : { purpose: request.purpose }),
        issuedAt,
        expiresAt: issuedAt + ttlSeconds,
      },
      keyId,
      privateKey,
    );
    const centre = this.config.preferenceLinks.centreUrl;
    return {
      url: `${centre}/p/${token}`,
      expiresAt: new Date((issuedAt + ttlSeconds) * 1000).toISOString(),
      keyId,
      ...(request.purpose === undefined ? {} : oneClickUnsubscribe(centre, token)),
    };
  }

  private requireConsentPurpose(purpose: string): void {
    if (this.policy.taxonomy.purposes.get(purpose)?.basis === 'consent') return;
    throw new AppError(
      'PURPOSE.NOT_CONSENT_BASED',
      'Not a consent-based purpose',
      `'${purpose}' is not a consent-based purpose of the taxonomy: one-click unsubscribe withdraws consent.`,
      [
        {
          field: 'purpose',
          code: 'PURPOSE.NOT_CONSENT_BASED',
          message: 'not a consent-based purpose',
        },
      ],
    );
  }
}

/** RFC 8058: a POST to the link unsubscribes at once; the headers go in every message. */
function oneClickUnsubscribe(centre: string, token: string) {
  const url = `${centre}/unsubscribe/${token}`;
  return {
    oneClickUnsubscribe: {
      url,
      headers: {
        'List-Unsubscribe': `<${url}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    },
  };
}
