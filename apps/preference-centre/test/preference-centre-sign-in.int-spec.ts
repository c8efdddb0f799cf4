import { saveScreenshot, uniqueName, waitFor } from '@consent-ledger/testing';
import type { VendorRequest } from '@consent-ledger/testing';
import type { Page } from 'playwright-core';
import { startCentrePipeline } from './centre-pipeline';
import type { CentrePipeline } from './centre-pipeline';

describe('the preference centre for a person who arrives with nothing: a one-time code', () => {
  let system: CentrePipeline;
  beforeAll(async () => {
    system = await startCentrePipeline();
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** The codes the email platform was asked to send to this subject. */
  const codesSentTo = (subjectId: string): VendorRequest[] =>
    system.emailPlatform.requests.filter(
      (request) =>
        request.path.startsWith('/transactional/v1/campaigns/') &&
        (request.body.recipient as { external_user_id?: string }).external_user_id === subjectId,
    );
  const codeIn = (request: VendorRequest) =>
    (request.body.trigger_properties as { code: string }).code;

  async function askForCode(page: Page, email: string): Promise<void> {
    await page.goto(`${system.pipeline.url('preference-centre')}/sign-in`);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Enter your code',
    );
  }

  async function personWithEmail(): Promise<{ subjectId: string; email: string }> {
    const subjectId = uniqueName('code-person');
    const email = `${subjectId}@sign-in.example.com`;
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const put = await system.api('PUT', `/v1/subjects/${subjectId}/identifiers`, { email });
    expect(put.status).toBe(200);
    return { subjectId, email };
  }

  it('emails a code through the email platform, and the code opens the person’s choices once', async () => {
    const { subjectId, email } = await personWithEmail();
    const page = await system.openPage();
    await askForCode(page, email.toUpperCase());
    await saveScreenshot(page, 'sign-in-code-en');

    const [sent] = await waitFor(
      () => {
        const found = codesSentTo(subjectId);
        return found.length > 0 ? found : undefined;
      },
      { description: 'the code sent through the email platform' },
    );
    expect(sent!.body).toMatchObject({
      trigger_properties: { code: expect.stringMatching(/^\d{6}$/), language: 'en' },
    });
    // The address never travels to the platform keyed by subject id; the code only there
    expect(JSON.stringify(sent!.body)).not.toContain(email);

    await page.getByLabel('Six-digit code').fill(codeIn(sent!));
    await page.getByRole('button', { name: 'Open my choices' }).click();
    await page.waitForURL(/\/preferences$/);
    const state = page
      .locator('section', { has: page.getByRole('heading', { name: 'Offers and news by email' }) })
      .locator('.state');
    await expect(state.textContent()).resolves.toMatch(/^On since /);
    await page.context().close();
  });

  it('says the same for an unknown address, and sends nothing', async () => {
    const before = system.emailPlatform.requests.length;
    const page = await system.openPage();
    await askForCode(page, `${uniqueName('unknown')}@sign-in.example.com`);
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'If we know that address',
    );
    await page.getByLabel('Six-digit code').fill('123456');
    await page.getByRole('button', { name: 'Open my choices' }).click();
    await expect(page.getByText('That code did not work').isVisible()).resolves.toBe(true);
    expect(
      system.emailPlatform.requests
        .slice(before)
        .filter((request) => request.path.startsWith('/transactional/')),
    ).toEqual([]);
    await page.context().close();
  });

  it('takes five tries at most per code, and sends three codes per person per quarter hour', async () => {
    const { subjectId, email } = await personWithEmail();
    const issued = [];
    for (let ask = 0; ask < 4; ask += 1) {
      const answer = await system.api('POST', '/v1/one-time-codes', { email });
      issued.push(answer);
    }
    expect(issued.map((answer) => answer.status)).toEqual([201, 201, 201, 429]);
    const { codeId, code } = issued[0]!.body as { codeId: string; code: string };
    const wrong = code === '000000' ? '111111' : '000000';
    const tries = [];
    for (let attempt = 0; attempt < 5; attempt += 1)
      tries.push(
        (await system.api('POST', `/v1/one-time-codes/${codeId}/verification`, { code: wrong }))
          .status,
      );
    expect(tries).toEqual([422, 422, 422, 422, 422]);
    // The right code after five wrong ones is refused too
    const late = await system.api('POST', `/v1/one-time-codes/${codeId}/verification`, { code });
    expect(late.status).toBe(422);
    // Another code still works, once
    const second = issued[1]!.body as { codeId: string; code: string };
    const opened = await system.api('POST', `/v1/one-time-codes/${second.codeId}/verification`, {
      code: second.code,
    });
    expect(opened).toMatchObject({ status: 200, body: { subjectId } });
    const reused = await system.api('POST', `/v1/one-time-codes/${second.codeId}/verification`, {
      code: second.code,
    });
    expect(reused.status).toBe(422);
  });

  it('gives codes to the centre’s own role only: a collection channel cannot find people by email', async () => {
    const { email } = await personWithEmail();
    const created = await system.api('POST', '/v1/api-keys', {
      keyId: uniqueName('collector').slice(0, 60),
      role: 'collector',
    });
    expect(created.status).toBe(201);
    const asCollector = (method: string, path: string, body?: unknown) =>
      fetch(`${system.pipeline.url('consent-api')}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${String(created.body.secret)}`,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // The new key is admitted within seconds (it reaches the app through Kafka)
    await waitFor(async () => (await asCollector('GET', '/v1/purposes')).status === 200, {
      timeoutMs: 15_000,
      description: 'the collector key admitted',
    });
    const asked = await asCollector('POST', '/v1/one-time-codes', { email });
    expect(asked.status).toBe(403);
  });
});
