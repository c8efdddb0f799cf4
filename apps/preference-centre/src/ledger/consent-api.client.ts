/** A purpose's state as the consent API answers it (GET /v1/subjects/{id}/consents). */
export interface PurposeState {
  readonly purpose: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly basis: string;
  readonly regime: string;
  readonly sinceEventId: string | null;
  readonly decidedBy: string | null;
  readonly choice: {
    readonly eventId: string;
    readonly purpose: string;
    readonly action: string;
    readonly occurredAt: string;
    readonly expiresAt: string | null;
    readonly method: string;
    readonly notice: { readonly noticeId: string; readonly version: string } | null;
  } | null;
}

export interface SubjectConsents {
  readonly subjectId: string;
  readonly jurisdiction: string | null;
  readonly purposes: readonly PurposeState[];
}

/** One event of the person's history, as the centre shows it. */
export interface HistoryEvent {
  readonly eventId: string;
  readonly purpose: string;
  readonly action: string;
  readonly method: string;
  readonly occurredAt: string;
}

/** A code the consent API issued, to be sent to the person. */
export interface IssuedCode {
  readonly codeId: string;
  readonly code: string;
  readonly subjectId: string;
  readonly expiresAt: string;
}

export interface NoticeText {
  readonly noticeId: string;
  readonly version: string;
  readonly text: string;
  readonly textSha256: string;
  readonly title?: string;
}

/** What the centre records: one choice of the person. */
export interface CentreChoice {
  readonly subjectId: string;
  readonly purpose: string;
  readonly action: 'GRANT' | 'WITHDRAW';
  readonly legalBasis: 'CONSENT' | 'EXPLICIT_CONSENT';
  readonly jurisdiction: string;
  readonly channel: 'WEB' | 'EMAIL_LINK';
  readonly method: 'PREFERENCE_CENTRE' | 'UNSUBSCRIBE_LINK' | 'GLOBAL_PRIVACY_CONTROL';
  readonly notice: {
    readonly noticeId: string;
    readonly version: string;
    readonly textSha256: string;
  } | null;
  readonly evidence: {
    readonly ipAddressHash: string | null;
    readonly userAgent: string | null;
    readonly reference: string;
  };
  readonly idempotencyKey: string;
}

/** The consent API answered something other than success; `status` 0 when it did not answer. */
export class ConsentApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The problem document's code, when the API sent one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ConsentApiError';
  }
}

/** How long the centre waits for the consent API before it shows the person an error page. */
const TIMEOUT_MS = 10_000;

/**
 * The consent API as the preference centre uses it: a collection channel like any other (its own
 * key, role preference-centre), so every choice goes through the same write path, validation, hash chain
 * and idempotency as the API's other callers.
 */
export class ConsentApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  consents(subjectId: string, jurisdiction: string | null): Promise<SubjectConsents> {
    const query = jurisdiction ? `?jurisdiction=${encodeURIComponent(jurisdiction)}` : '';
    return this.call('GET', `/v1/subjects/${encodeURIComponent(subjectId)}/consents${query}`);
  }

  async history(subjectId: string): Promise<HistoryEvent[]> {
    const page = await this.call<{ events: HistoryEvent[] }>(
      'GET',
      `/v1/subjects/${encodeURIComponent(subjectId)}/events?limit=200`,
    );
    return page.events;
  }

  async notice(noticeId: string, version: string): Promise<NoticeText | undefined> {
    try {
      return await this.call(
        'GET',
        `/v1/notices/${encodeURIComponent(noticeId)}/versions/${encodeURIComponent(version)}`,
      );
    } catch (error) {
      if (error instanceof ConsentApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Records the choices in one request (one commit). An idempotency key already used means the
   * same intent was recorded before (a form sent twice, a mail client retrying a one-click POST,
   * at another moment): that earlier event stands, and nothing more is written. Returns the ids
   * of the events recorded now.
   */
  async record(choices: readonly CentreChoice[]): Promise<string[]> {
    const occurredAt = new Date().toISOString();
    const events = choices.map((choice) => ({ ...choice, occurredAt }));
    try {
      if (events.length === 1)
        return [
          (await this.call<{ eventId: string }>('POST', '/v1/consent-events', events[0])).eventId,
        ];
      const batch = await this.call<{ events: Array<{ eventId: string }> }>(
        'POST',
        '/v1/consent-events/batch',
        { events },
      );
      return batch.events.map((event) => event.eventId);
    } catch (error) {
      if (error instanceof ConsentApiError && error.code === 'CONSENT.IDEMPOTENCY_KEY_REUSED')
        return [];
      throw error;
    }
  }

  /**
   * A one-time code for the one person holding this email address, to send them; undefined when
   * there is no such person, or they were sent enough codes for now (the visitor is told neither).
   */
  async issueCode(email: string): Promise<IssuedCode | undefined> {
    try {
      return await this.call<IssuedCode>('POST', '/v1/one-time-codes', { email });
    } catch (error) {
      // 400: an address the vault would not take (the page checked only its rough shape).
      if (error instanceof ConsentApiError && [400, 404, 429].includes(error.status))
        return undefined;
      throw error;
    }
  }

  /** Whose centre the code opens, once; undefined for a wrong, old, used or over-tried code. */
  async verifyCode(
    codeId: string,
    code: string,
  ): Promise<{ subjectId: string; jurisdiction: string | null } | undefined> {
    try {
      return await this.call(
        'POST',
        `/v1/one-time-codes/${encodeURIComponent(codeId)}/verification`,
        {
          code,
        },
      );
    } catch (error) {
      if (error instanceof ConsentApiError && (error.status === 422 || error.status === 400))
        return undefined;
      throw error;
    }
  }

  /** Whether the consent API answers its /health (ok or degraded) within a second. */
  async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/health`, {
        signal: AbortSignal.timeout(1_000),
      });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** The public keys links are signed with. */
  async linkKeys(): Promise<Array<{ keyId: string; publicKey: string }>> {
    return (
      await this.call<{ keys: Array<{ keyId: string; publicKey: string }> }>(
        'GET',
        '/v1/preference-links/signing-keys',
      )
    ).keys;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new ConsentApiError(0, `the consent API did not answer: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok)
      throw new ConsentApiError(
        response.status,
        `${method} ${path.split('?')[0]}: HTTP ${response.status} ${text.slice(0, 300)}`,
        problemCode(text),
      );
    return JSON.parse(text) as T;
  }
}

function problemCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
