import {
  createTestEnvironment,
  startFakeVendor,
  startPipeline,
  TEST_ADMIN_KEY,
} from '@consent-ledger/testing';
import type { FakeVendor, Pipeline, TestEnvironment } from '@consent-ledger/testing';

type Answer = { status: number; body: Record<string, unknown> };

/** Every app as its own process, with fake vendors, and the calls the privacy tests make. */
export interface WholePipeline {
  readonly environment: TestEnvironment;
  readonly pipeline: Pipeline;
  readonly emailPlatform: FakeVendor;
  readonly crm: FakeVendor;
  call(url: string, method: string, body?: unknown, key?: string): Promise<Answer>;
  /** A call to the consent API. */
  api(method: string, path: string, body?: unknown, key?: string): Promise<Answer>;
  /** The decision API's answer for a subject and purpose. */
  decision(subjectId: string, purpose: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** `overrides`: settings of every app beside the fake vendors' addresses. */
export async function startWholePipeline(
  overrides: Readonly<Record<string, string>> = {},
): Promise<WholePipeline> {
  const environment = await createTestEnvironment();
  const emailPlatform = await startFakeVendor(201);
  const crm = await startFakeVendor(200);
  const pipeline = await startPipeline({
    environment,
    apps: ['consent-api', 'projector', 'connectors', 'decision-api', 'auditor'],
    overrides: { ...overrides, EMAIL_PLATFORM_URL: emailPlatform.url, CRM_URL: crm.url },
  });
  const call = async (url: string, method: string, body?: unknown, key = TEST_ADMIN_KEY) => {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    environment,
    pipeline,
    emailPlatform,
    crm,
    call,
    api: (method, path, body, key) =>
      call(`${pipeline.url('consent-api')}${path}`, method, body, key),
    decision: async (subjectId, purpose) =>
      (await call(`${pipeline.url('decision-api')}/v1/decisions`, 'POST', { subjectId, purpose }))
        .body,
    stop: async () => {
      await pipeline.stop();
      await Promise.all([emailPlatform.close(), crm.close()]);
      await environment.dispose();
    },
  };
}

/**
 * The whole pipeline for the calling test file: started before its tests, stopped after them;
 * the calls reach the pipeline that runs when they are made.
 */
export function wholePipelineForThisFile(overrides: Readonly<Record<string, string>> = {}): Pick<
  WholePipeline,
  'call' | 'api' | 'decision'
> & {
  readonly system: () => WholePipeline;
} {
  let running: WholePipeline | undefined;
  beforeAll(async () => {
    running = await startWholePipeline(overrides);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const system = () => {
    if (!running) throw new Error('the whole pipeline has not started');
    return running;
  };
  return {
    system,
    call: (...args) => system().call(...args),
    api: (...args) => system().api(...args),
    decision: (...args) => system().decision(...args),
  };
}
