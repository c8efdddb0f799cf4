import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { uniqueName } from './unique-name';

/** An ISO instant the given number of minutes before now. */
export const minutesAgo = (minutes: number): string =>
  new Date(Date.now() - minutes * 60_000).toISOString();

/** The notice a test's grants cite. */
export interface CitedNotice {
  readonly noticeId: string;
  readonly version: string;
  readonly textSha256: string;
}

export interface ChoiceRequestOptions {
  readonly jurisdiction?: string;
  readonly occurredAt?: string;
  readonly notice?: CitedNotice;
}

/**
 * The body of `POST /v1/consent-events` for one person's choice, as a web banner records a grant
 * and a preference centre a withdrawal: a grant cites the notice, sensitive purposes rest on
 * explicit consent, and every request has an idempotency key of its own.
 */
export const choiceRequest = (
  subjectId: string,
  purpose: string,
  action: 'GRANT' | 'WITHDRAW',
  {
    jurisdiction = 'DE',
    occurredAt = minutesAgo(5),
    notice = { noticeId: 'privacy', version: '3', textSha256: 'cd'.repeat(32) },
  }: ChoiceRequestOptions = {},
) => ({
  subjectId,
  purpose,
  action,
  jurisdiction,
  channel: 'WEB',
  method: action === 'GRANT' ? 'BANNER' : 'PREFERENCE_CENTRE',
  legalBasis: purpose.startsWith('sensitive') ? 'EXPLICIT_CONSENT' : 'CONSENT',
  ...(action === 'GRANT' ? { notice } : {}),
  occurredAt,
  idempotencyKey: uniqueName('key'),
});

/** Listens on a free loopback port; returns the app's base URL. */
export async function listenOnLoopback(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}
