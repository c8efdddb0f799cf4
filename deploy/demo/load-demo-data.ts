/**
 * Loads demo consent data through the real API: a few thousand subjects across the EU, the UK,
 * California and other US states, with grants, withdrawals and GPC opt-outs across purposes.
 * Deterministic (seeded, fixed dates, fixed idempotency keys): running it again changes nothing.
 *
 *   npx ts-node deploy/demo/load-demo-data.ts [--url http://127.0.0.1:3000] [--key KEY] [--subjects 3000]
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    key: { type: 'string', default: 'dev-local-key-change-me' },
    subjects: { type: 'string', default: '3000' },
  },
});

/** mulberry32: a tiny seeded generator, so the demo data is the same every run. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seededRandom(20261122);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const places = [
  'DE',
  'FR',
  'NL',
  'ES',
  'IT',
  'IE',
  'SE',
  'GB',
  'US-CA',
  'US-CA',
  'US-CA',
  'US-VA',
  'US-CO',
  'US-TX',
  'US-OR',
  'BR',
];
const consentPurposes = [
  'marketing.email',
  'marketing.sms',
  'marketing.push',
  'personalization.recommendations',
  'analytics.behavioral',
  'ads.targeted',
  'data.sale_sharing',
  'ml.training',
];
/** The demo's privacy notice, registered in the notice registry so proofs show what was shown. */
const noticeText = [
  'Example Shop privacy notice, version 3.',
  'With your consent we use your purchase history and browsing on our site to send you marketing',
  'emails and texts, to personalise recommendations, to measure how the site is used, to show you',
  'targeted ads, and to train the models that power these features. You can withdraw any of these',
  'choices at any time in your preference centre or with the unsubscribe link in every email.',
].join('\n');
const noticeHash = createHash('sha256').update(noticeText).digest('hex');
const start = Date.UTC(2026, 0, 5);

interface DemoEvent {
  subjectId: string;
  purpose: string;
  action: 'GRANT' | 'WITHDRAW';
  jurisdiction: string;
  channel: string;
  method: string;
  notice: { noticeId: string; version: string; textSha256: string } | null;
  occurredAt: string;
  ageBand: string | null;
  idempotencyKey: string;
}

function eventsFor(index: number): DemoEvent[] {
  const subjectId = `demo-${String(index).padStart(5, '0')}`;
  const jurisdiction = pick(places);
  const ageBand = random() < 0.04 ? 'UNDER_16' : null;
  let time = start + Math.floor(random() * 200) * 86_400_000;
  const events: DemoEvent[] = [];
  const base = { subjectId, jurisdiction, ageBand };
  const granted = consentPurposes.filter(() => random() < 0.45);
  for (const purpose of granted) {
    time += Math.floor(random() * 3_600_000);
    events.push({
      ...base,
      purpose,
      action: 'GRANT',
      channel: pick(['WEB', 'APP']),
      method: pick(['BANNER', 'CHECKBOX', 'PREFERENCE_CENTRE']),
      notice: { noticeId: 'privacy-notice', version: '3', textSha256: noticeHash },
      occurredAt: new Date(time).toISOString(),
      idempotencyKey: `${subjectId}-${events.length}`,
    });
  }
  for (const purpose of granted.filter(() => random() < 0.2)) {
    time += Math.floor(random() * 30) * 86_400_000 + 60_000;
    const viaEmail = purpose === 'marketing.email' && random() < 0.5;
    events.push({
      ...base,
      purpose,
      action: 'WITHDRAW',
      channel: viaEmail ? 'EMAIL_LINK' : 'WEB',
      method: viaEmail ? 'UNSUBSCRIBE_LINK' : 'PREFERENCE_CENTRE',
      notice: null,
      occurredAt: new Date(time).toISOString(),
      idempotencyKey: `${subjectId}-${events.length}`,
    });
  }
  if (jurisdiction === 'US-CA' && random() < 0.25) {
    for (const purpose of ['data.sale_sharing', 'ads.targeted']) {
      time += 60_000;
      events.push({
        ...base,
        purpose,
        action: 'WITHDRAW',
        channel: 'WEB',
        method: 'GLOBAL_PRIVACY_CONTROL',
        notice: null,
        occurredAt: new Date(time).toISOString(),
        idempotencyKey: `${subjectId}-${events.length}`,
      });
    }
  }
  return events;
}

async function postBatch(events: DemoEvent[]): Promise<{ accepted: number; duplicates: number }> {
  const response = await fetch(`${options.url}/v1/consent-events/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.key}` },
    body: JSON.stringify({ events }),
  });
  if (response.status !== 202)
    throw new Error(`batch refused: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { accepted: number; duplicates: number };
}

/** Registers the notice text (idempotent: the same text again is a 200). */
async function registerNotice(): Promise<void> {
  const response = await fetch(`${options.url}/v1/notices/privacy-notice/versions/3`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.key}` },
    body: JSON.stringify({
      text: noticeText,
      language: 'en',
      title: 'Example Shop privacy notice',
    }),
  });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`notice refused: HTTP ${response.status} ${await response.text()}`);
}

async function main(): Promise<void> {
  await registerNotice();
  const subjectCount = Number(options.subjects);
  const events = Array.from({ length: subjectCount }, (_, index) => eventsFor(index)).flat();
  let accepted = 0;
  let duplicates = 0;
  for (let offset = 0; offset < events.length; offset += 1000) {
    const result = await postBatch(events.slice(offset, offset + 1000));
    accepted += result.accepted;
    duplicates += result.duplicates;
    process.stdout.write(
      `\rdemo data: ${Math.min(offset + 1000, events.length)}/${events.length} events sent`,
    );
  }
  process.stdout.write(
    `\ndemo data: ${subjectCount} subjects, ${accepted} new events, ${duplicates} already loaded\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `\ndemo data failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
