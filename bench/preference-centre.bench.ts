/**
 * The preference centre: its main page rendered under an open-loop load at a fixed rate (each
 * request a different person's session: consents, history and notice read from the consent API),
 * beside the same app's sign-in page (rendered, reads nothing) in the same run; and the time from
 * a click on "Switch off" in a real browser (Debian's Chromium) to the email platform applying
 * the suppression.
 * `npm run bench -- preference-centre [--rate 100] [--seconds 30] [--people 200] [--clicks 30]`
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  choiceRequest,
  createTestEnvironment,
  externalIds,
  launchChromium,
  startAppProcess,
  TEST_ADMIN_KEY,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { AppProcess, FakeVendor } from '@consent-ledger/testing';
import { percentile, printTable, startTimedEmailPlatform, writeResults } from './bench-support';

const { values: options } = parseArgs({
  options: {
    'kafka-libs': { type: 'string' },
    bootstrap: { type: 'string' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    people: { type: 'string', default: '200' },
    clicks: { type: 'string', default: '30' },
    connections: { type: 'string', default: '20' },
  },
});

const API_PORT = 3941;
const CENTRE_PORT = 3945;
const api = `http://127.0.0.1:${API_PORT}`;
const centre = `http://127.0.0.1:${CENTRE_PORT}`;
const adminHeaders = {
  'content-type': 'application/json',
  authorization: `Bearer ${TEST_ADMIN_KEY}`,
};

async function call(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: adminHeaders,
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`${method} ${path}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A person with a grant, and the session cookie their link opens. */
async function personWithSession(
  run: string,
  index: number,
): Promise<{ subjectId: string; cookie: string }> {
  const subjectId = `${run}-${index}`;
  await call(
    'POST',
    '/v1/consent-events',
    choiceRequest(subjectId, 'marketing.email', 'GRANT', {
      notice: { noticeId: 'privacy-notice', version: '3', textSha256: NOTICE_SHA },
    }),
  );
  const link = (await call('POST', `/v1/subjects/${subjectId}/preference-links`, {
    jurisdiction: 'DE',
  })) as { url: string };
  const opened = await fetch(link.url, { redirect: 'manual' });
  return { subjectId, cookie: opened.headers.get('set-cookie')!.split(';')[0]! };
}

const NOTICE_TEXT = 'Example Shop privacy notice, version 3 (benchmark).';
let NOTICE_SHA = '';

interface Rendered {
  readonly measurement: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** The load generator's spec for one page, GET, with the sessions' cookies cycled. */
function loadSpec(path: string, cookies: readonly string[]): string {
  const specFile = join(mkdtempSync(join(tmpdir(), 'centre-load-')), 'spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      url: `${centre}${path}`,
      method: 'GET',
      headers: { accept: 'text/html' },
      cookies,
      connections: Number(options.connections),
      rate: Number(options.rate),
      seconds: Number(options.seconds),
      bodies: [''],
    }),
  );
  return specFile;
}

/** Runs bench/constant-rate-load.mjs against one page, GET, with the sessions' cookies cycled. */
function renderLoad(
  measurement: string,
  path: string,
  cookies: readonly string[],
): Promise<Rendered> {
  const specFile = loadSpec(path, cookies);
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['bench/constant-rate-load.mjs', specFile],
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`load generator failed: ${error.message}\n${stderr}`));
        const result = JSON.parse(stdout) as {
          requestsPerSecond: number;
          latencyMs: { p50: number; p99: number; max: number };
          non2xx: number;
          errors: number;
        };
        resolve({
          measurement,
          requestsPerSecond: result.requestsPerSecond,
          p50Ms: result.latencyMs.p50,
          p99Ms: result.latencyMs.p99,
          maxMs: result.latencyMs.max,
          non2xx: result.non2xx,
          errors: result.errors,
        });
      },
    ),
  );
}

/** When the email platform applied an unsubscribe of the subject (ms since the epoch), if it did. */
function unsubscribedAt(vendor: FakeVendor, subjectId: string): number | undefined {
  return vendor.requests.find(
    (request) =>
      request.path === '/subscription/status/set' &&
      request.status < 300 &&
      request.body.subscription_state === 'unsubscribed' &&
      externalIds(request).includes(subjectId),
  )?.answeredAt;
}

/**
 * Clicks "Switch off" in Chromium for each person: ms from the click to the page showing the change
 * saved, and to the email platform applying the suppression.
 */
async function clicksToApplied(
  people: ReadonlyArray<{ subjectId: string }>,
  vendor: FakeVendor,
): Promise<{ shown: number[]; applied: number[] }> {
  const browser = await launchChromium();
  const latencies: number[] = [];
  const shown: number[] = [];
  try {
    for (const { subjectId } of people) {
      const link = await call('POST', `/v1/subjects/${subjectId}/preference-links`, {
        jurisdiction: 'DE',
      });
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await context.newPage();
      await page.goto(link.url as string);
      const email = page.locator('section', {
        has: page.getByRole('heading', { name: 'Offers and news by email' }),
      });
      const clicked = Date.now();
      await email.getByRole('button', { name: 'Switch off' }).click();
      await page.waitForURL(/saved=/);
      await page.getByRole('status').first().waitFor();
      shown.push(Date.now() - clicked);
      const applied = await waitFor(() => unsubscribedAt(vendor, subjectId), {
        timeoutMs: 30_000,
        intervalMs: 2,
        description: 'the suppression applied',
      });
      latencies.push(applied - clicked);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { shown: shown.sort((a, b) => a - b), applied: latencies.sort((a, b) => a - b) };
}

/** The consent API, projector, email-platform connector and centre, compiled, on the bench's ports. */
async function startApps(emailPlatformUrl: string) {
  const environment = await createTestEnvironment({
    HTTP_PORT: String(API_PORT),
    EMAIL_PLATFORM_URL: emailPlatformUrl,
    CONNECTORS: 'email-platform',
    CONSENT_API_URL: api,
    PREFERENCE_CENTRE_URL: centre,
  });
  const start = (entry: string, port: string): AppProcess =>
    startAppProcess(entry, { ...environment.overrides, HTTP_PORT: port }, { compiled: true });
  const apps = [
    start('apps/consent-api/src/main.ts', String(API_PORT)),
    start('apps/projector/src/main.ts', '0'),
    start('apps/connectors/src/main.ts', '0'),
    start('apps/preference-centre/src/main.ts', String(CENTRE_PORT)),
  ];
  for (const base of [api, centre])
    await waitFor(
      () =>
        fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      {
        timeoutMs: 90_000,
        description: base,
      },
    );
  return { environment, apps };
}

const spread = (sorted: readonly number[]) => ({
  p50: percentile(sorted, 50),
  p95: percentile(sorted, 95),
  max: sorted[sorted.length - 1] ?? Number.NaN,
});

function report(
  pages: readonly Rendered[],
  clicks: { readonly shown: readonly number[]; readonly applied: readonly number[] },
): void {
  const [click, shown] = [spread(clicks.applied), spread(clicks.shown)];
  printTable(
    pages.map((page) => ({
      measurement: page.measurement,
      'pages/s': page.requestsPerSecond.toFixed(0),
      'p50 ms': page.p50Ms.toFixed(1),
      'p99 ms': page.p99Ms.toFixed(1),
      'max ms': page.maxMs.toFixed(1),
      'non-2xx': String(page.non2xx + page.errors),
    })),
  );
  const results = {
    when: new Date().toISOString(),
    machine: { cores: cpus().length },
    rate: Number(options.rate),
    seconds: Number(options.seconds),
    pages,
    clickToShownSavedMs: { clicks: clicks.shown.length, ...shown },
    clickToAppliedMs: { clicks: clicks.applied.length, ...click },
  };
  process.stdout.write(
    `\nclick "Switch off" in Chromium (${clicks.applied.length} people) -> page shows it saved: p50 ${shown.p50.toFixed(0)} ms, p95 ${shown.p95.toFixed(0)} ms, max ${shown.max.toFixed(0)} ms\n` +
      `click "Switch off" in Chromium -> email platform applied: p50 ${click.p50.toFixed(0)} ms, p95 ${click.p95.toFixed(0)} ms, max ${click.max.toFixed(0)} ms\n` +
      `JSON: ${writeResults('preference-centre', results)}\n`,
  );
}

async function main(): Promise<void> {
  const { vendor } = await startTimedEmailPlatform();
  const { environment, apps } = await startApps(vendor.url);
  try {
    const notice = await call('PUT', '/v1/notices/privacy-notice/versions/3', {
      text: NOTICE_TEXT,
    });
    NOTICE_SHA = (notice as { textSha256: string }).textSha256;
    const run = uniqueName('centre-bench');
    const people = [];
    for (let index = 0; index < Number(options.people); index += 1)
      people.push(await personWithSession(run, index));
    const cookies = people.map((person) => person.cookie);
    process.stdout.write(
      `${people.length} people with a session; ${options.rate} pages/s for ${options.seconds} s each\n`,
    );
    // Warm-up: JIT, connections, the templates.
    await renderLoad('warm-up', '/preferences', cookies);
    const pages = [
      await renderLoad('baseline: sign-in page (rendered, reads nothing)', '/sign-in', cookies),
      await renderLoad(
        'main page (consents, history, notice from the API)',
        '/preferences',
        cookies,
      ),
    ];
    report(pages, await clicksToApplied(people.slice(0, Number(options.clicks)), vendor));
  } finally {
    apps.forEach((app) => app.kill('SIGKILL'));
    await vendor.close();
    await environment.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
