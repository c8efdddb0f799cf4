import {
  choiceRequest,
  createTestEnvironment,
  launchChromium,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
  waitFor,
} from '@consent-ledger/testing';
import type { FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

/** A call's status and JSON body. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The apps the dashboard reads from, the development OpenID provider, fake vendors, a browser. */
export interface DashboardPipeline {
  readonly environment: TestEnvironment;
  readonly pipeline: Pipeline;
  readonly emailPlatform: FakeVendor;
  readonly browser: Browser;
  /** A call with the admin key to the consent API or the auditor. */
  api(
    app: 'consent-api' | 'auditor',
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Answer>;
  /** Records a choice through the consent API. */
  choose(
    subjectId: string,
    purpose: string,
    action: 'GRANT' | 'WITHDRAW',
    jurisdiction?: string,
  ): Promise<void>;
  /** A page signed in as a development user (through the provider's own login form). */
  signedIn(user: string, options?: BrowserContextOptions): Promise<Page>;
  stop(): Promise<void>;
}

export async function startDashboardPipeline(): Promise<DashboardPipeline> {
  // The browser first: a machine without Chromium fails here, before any app is left running.
  const browser = await launchChromium();
  const environment = await createTestEnvironment();
  const [emailPlatform, crm] = await Promise.all([startFakeVendor(201), startFakeVendor(200)]);
  const pipeline = await startDashboardApps(environment, emailPlatform, crm);
  const api = adminApi(pipeline);
  return {
    environment,
    pipeline,
    emailPlatform,
    browser,
    api,
    choose: async (subjectId, purpose, action, jurisdiction = 'DE') => {
      const answer = await api(
        'consent-api',
        'POST',
        '/v1/consent-events',
        choiceRequest(subjectId, purpose, action, { jurisdiction }),
      );
      if (answer.status !== 202) throw new Error(`choice refused: ${JSON.stringify(answer)}`);
    },
    signedIn: (user, options) => signedInPage(browser, pipeline, user, options),
    stop: async () => {
      await browser.close();
      await pipeline.stop();
      await Promise.all([emailPlatform.close(), crm.close()]);
      await environment.dispose();
    },
  };
}

/** The text of the element carrying a live figure, once it satisfies `until`. */
export async function liveFigure(
  page: Page,
  key: string,
  until: (text: string) => boolean,
  timeoutMs = 15_000,
): Promise<string> {
  return waitFor(
    async () => {
      const text = (await page.locator(`[data-live="${key}"]`).first().textContent())?.trim() ?? '';
      return until(text) ? text : undefined;
    },
    { timeoutMs, intervalMs: 100, description: `the figure ${key} on ${page.url()}` },
  );
}

/** A count as printed ("1,234") as a number. */
export const countOf = (text: string): number => Number(text.replaceAll(',', ''));

/** Calls with the admin key to the pipeline's consent API or auditor. */
function adminApi(pipeline: Pipeline): DashboardPipeline['api'] {
  return async (app, method, path, body) => {
    const response = await fetch(`${pipeline.url(app)}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

/** A page of a context of its own, signed in through the provider's own login form (any password). */
async function signedInPage(
  browser: Browser,
  pipeline: Pipeline,
  user: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    bypassCSP: true,
    ...options,
  });
  const page = await context.newPage();
  await page.goto(`${pipeline.url('compliance-dashboard')}/`);
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(pipeline.url('compliance-dashboard')));
  return page;
}

/** The apps the dashboard reads from, and the provider it signs people in with. */
function startDashboardApps(
  environment: TestEnvironment,
  emailPlatform: FakeVendor,
  crm: FakeVendor,
): Promise<Pipeline> {
  return startPipeline({
    environment,
    apps: [
      'identity-provider',
      'consent-api',
      'projector',
      'connectors',
      'auditor',
      'compliance-dashboard',
    ],
    overrides: {
      EMAIL_PLATFORM_URL: emailPlatform.url,
      CRM_URL: crm.url,
      DASHBOARD_LIVE_INTERVAL_MS: '500',
      DASHBOARD_API_KEY: TEST_ADMIN_KEY,
    },
  });
}
