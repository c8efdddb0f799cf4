/**
 * The fault suite's client: withdrawals through the API at a fixed rate whatever the answers
 * (open loop: a slow or failing API does not slow the offered load down), each retried with the
 * same idempotency key as a careful collection channel would, until it is accepted, definitely
 * refused, or the client gives up.
 */

/** How one withdrawal ended for the client. */
export type Outcome =
  | { readonly kind: 'accepted'; readonly eventId: string; readonly acceptedAt: number }
  | { readonly kind: 'refused'; readonly status: number; readonly code: string }
  | { readonly kind: 'unknown'; readonly lastAnswer: string };

/** One answer the API gave (every attempt of every withdrawal). */
export interface Answer {
  readonly at: number;
  readonly status: number;
  readonly code: string;
  readonly retryAfter: string | null;
}

export interface Withdrawal {
  readonly subjectId: string;
  readonly idempotencyKey: string;
  readonly sentAt: number;
  outcome?: Outcome;
}

export interface OpenLoopOptions {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly ratePerSecond: number;
  /** Subject ids are `${subjectPrefix}-${n}`: each withdrawal is a subject of its own. */
  readonly subjectPrefix: string;
  /** Attempts stop this long after the load stops, however the last one ended. */
  readonly retryForMsAfterStop: number;
}

/** Answers after which the write definitely did not happen and a retry is pointless. */
const definiteRefusal = (status: number) => status >= 400 && status < 500 && status !== 408;
/** Answers a careful client retries with the same key (the outcome is open or the API is down). */
const retriable = (status: number) => status === 0 || status === 408 || status >= 500;

export class OpenLoopClient {
  readonly withdrawals: Withdrawal[] = [];
  readonly answers: Answer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stoppedAt = Number.POSITIVE_INFINITY;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: OpenLoopOptions) {}

  start(): void {
    const intervalMs = 1_000 / this.options.ratePerSecond;
    const startedAt = Date.now();
    let sent = 0;
    // Catches up on missed ticks, so the offered rate holds when the event loop is busy.
    this.timer = setInterval(
      () => {
        const due = Math.floor((Date.now() - startedAt) / intervalMs) + 1;
        for (; sent < due; sent += 1) this.send(sent);
      },
      Math.max(1, Math.floor(intervalMs)),
    );
  }

  /** Stops offering new withdrawals; resolves when every one has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stoppedAt = Date.now();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private send(index: number): void {
    const withdrawal: Withdrawal = {
      subjectId: `${this.options.subjectPrefix}-${index}`,
      idempotencyKey: `${this.options.subjectPrefix}-withdraw-${index}`,
      sentAt: Date.now(),
    };
    this.withdrawals.push(withdrawal);
    const done = this.settle(withdrawal).then((outcome) => {
      withdrawal.outcome = outcome;
    });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  private async settle(withdrawal: Withdrawal): Promise<Outcome> {
    const body = JSON.stringify({
      subjectId: withdrawal.subjectId,
      purpose: 'marketing.email',
      action: 'WITHDRAW',
      jurisdiction: 'DE',
      channel: 'EMAIL_LINK',
      method: 'UNSUBSCRIBE_LINK',
      occurredAt: new Date(withdrawal.sentAt).toISOString(),
      idempotencyKey: withdrawal.idempotencyKey,
    });
    let lastAnswer = 'no answer';
    for (;;) {
      const answer = await this.attempt(body);
      this.answers.push(answer);
      lastAnswer = `${answer.status} ${answer.code}`;
      if (answer.status === 202)
        return { kind: 'accepted', eventId: answer.code, acceptedAt: answer.at };
      if (definiteRefusal(answer.status))
        return { kind: 'refused', status: answer.status, code: answer.code };
      if (
        !retriable(answer.status) ||
        Date.now() > this.stoppedAt + this.options.retryForMsAfterStop
      )
        return { kind: 'unknown', lastAnswer };
      const retryAfterSeconds = Number(answer.retryAfter ?? '1');
      const waitMs = Math.min(5_000, Math.max(200, retryAfterSeconds * 1_000));
      await new Promise((resolve) => setTimeout(resolve, waitMs * (0.75 + Math.random() / 2)));
    }
  }

  /** One POST; for a 202 the code is the event id, otherwise the problem's code. */
  private async attempt(body: string): Promise<Answer> {
    try {
      const response = await fetch(`${this.options.apiUrl}/v1/consent-events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.options.apiKey}`,
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      let parsed: { eventId?: string; code?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // Not JSON: recorded by status alone.
      }
      return {
        at: Date.now(),
        status: response.status,
        code: (response.status === 202 ? parsed.eventId : parsed.code) ?? '',
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (error) {
      // Refused connection, reset or timeout: the outcome is open, as for a 503.
      return { at: Date.now(), status: 0, code: (error as Error).name, retryAfter: null };
    }
  }
}
