import {
  choiceRequest,
  createTestEnvironment,
  launchChromium,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
} from '@consent-ledger/testing';
import type { FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

/** The notice the centre shows (deploy/policy/preference-centre.yaml names it). */
export const NOTICE_TEXT =
  'Example Shop privacy notice, version 3.\nWith your consent we use your purchases to send you offers.';

/** A link as the consent API issues it. */
export interface IssuedLink {
  readonly url: string;
  readonly expiresAt: string;
  readonly keyId: string;
  readonly oneClickUnsubscribe?: { url: string; headers: Record<string, string> };
}

/** The apps the preference centre works with, a fake email platform and CRM, and a browser. */
export interface CentrePipeline {
  readonly environment: TestEnvironment;
  readonly pipeline: Pipeline;
  readonly emailPlatform: FakeVendor;
  readonly browser: Browser;
  /** A call to the consent API with the admin key. */
  api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A link into the centre for the subject, issued by the consent API. */
  link(subjectId: string, request?: Record<string, unknown>): Promise<IssuedLink>;
  /**
   * A page in a fresh browser context (cookies of its own), as a person opening a link on their
   * phone; CSP bypassed so that tests can inject axe-core.
   */
  openPage(options?: BrowserContextOptions): Promise<Page>;
  /** Records a choice through the consent API (as another channel would). */
  choose(
    subjectId: string,
    purpose: string,
    action: 'GRANT' | 'WITHDRAW',
    jurisdiction?: string,
  ): Promise<void>;
  stop(): Promise<void>;
}

/** `overrides`: settings of every app beside the fake vendors' addresses. */
export async function startCentrePipeline(
  overrides: Readonly<Record<string, string>> = {},
): Promise<CentrePipeline> {
  // The browser first: a machine without Chromium fails here, before any app is left running.
  const browser = await launchChromium();
  const environment = await createTestEnvironment();
  const [emailPlatform, crm] = await Promise.all([startFakeVendor(201), startFakeVendor(200)]);
  const pipeline = await startPipeline({
    environment,
    apps: ['consent-api', 'projector', 'connectors', 'preference-centre'],
    overrides: { ...overrides, EMAIL_PLATFORM_URL: emailPlatform.url, CRM_URL: crm.url },
  });
  const api = adminCalls(pipeline.url('consent-api'));
  await registerNotice(api);
  return {
    environment,
    pipeline,
    emailPlatform,
    browser,
    api,
    openPage: (options) => phonePage(browser, options),
    link: async (subjectId, request = { jurisdiction: 'DE' }) => {
      const issued = await api('POST', `/v1/subjects/${subjectId}/preference-links`, request);
      if (issued.status !== 201) throw new Error(`link not issued: ${JSON.stringify(issued)}`);
      return issued.body as unknown as IssuedLink;
    },
    choose: async (subjectId, purpose, action, jurisdiction = 'DE') => {
      const answer = await api('POST', '/v1/consent-events', {
        ...choiceRequest(subjectId, purpose, action),
        jurisdiction,
      });
      if (answer.status !== 202) throw new Error(`choice refused: ${JSON.stringify(answer)}`);
    },
    stop: async () => {
      await browser.close();
      await pipeline.stop();
      await Promise.all([emailPlatform.close(), crm.close()]);
      await environment.dispose();
    },
  };
}

/** Calls to the consent API with the admin key. */
function adminCalls(base: string): CentrePipeline['api'] {
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

/** Registers the notice the centre shows, as the operator does once. */
async function registerNotice(api: CentrePipeline['api']): Promise<void> {
  const registered = await api('PUT', '/v1/notices/privacy-notice/versions/3', {
    text: NOTICE_TEXT,
    title: 'Example Shop privacy notice',
    language: 'en',
  });
  if (registered.status >= 300)
    throw new Error(`notice not registered: ${JSON.stringify(registered)}`);
}

/** A page in a context of its own, phone-sized, CSP bypassed (for axe-core). */
async function phonePage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    bypassCSP: true,
    ...options,
  });
  return context.newPage();
}
