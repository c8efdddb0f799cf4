/** Settings of what the system tells people and teams: lifecycle messages, team webhooks. */

/** How the consent API sends lifecycle messages through the email platform. */
export interface LifecycleMessageSettings {
  /** The most messages one API instance sends a second (a token bucket, bursts up to a second's). */
  readonly sendsPerSecond: number;
  /**
   * The longest the sender sleeps before looking for due messages and grants nearing their
   * renewal (it wakes at the next due message it knows of).
   */
  readonly scanIntervalMs: number;
}

/** Signed webhooks to internal teams (see team-webhooks.yaml). */
export interface TeamWebhookSettings {
  /** The subscriptions and the rules that raise notifications. */
  readonly file: string;
  /** Attempts per notification before it goes to the webhooks' dead-letter topic. */
  readonly maxAttempts: number;
  /** The wait after the first failed attempt; doubles after each (up to an hour). */
  readonly retryBaseMs: number;
  /** How often erasures done, `verify` findings and propagation are looked at. */
  readonly pollIntervalMs: number;
}
