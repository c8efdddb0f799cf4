import { LinkSigningKeyring, signLinkToken } from '@consent-ledger/signed-links';
import { externalIds, saveScreenshot, uniqueName, waitFor } from '@consent-ledger/testing';
import type { Page } from 'playwright-core';
import { startCentrePipeline } from './centre-pipeline';
import type { CentrePipeline } from './centre-pipeline';

describe('the preference centre, in a real browser against the real stack', () => {
  let system: CentrePipeline;
  beforeAll(async () => {
    system = await startCentrePipeline();
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** The email platform's last subscription state for the subject, if it was told one. */
  const emailState = (subjectId: string) =>
    system.emailPlatform.requests
      .filter(
        (request) =>
          request.path === '/subscription/status/set' &&
          request.status < 300 &&
          externalIds(request).includes(subjectId),
      )
      .map((request) => request.body.subscription_state)
      .at(-1);

  const section = (page: Page, title: string) =>
    page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });

  /** Waits until the consent API's views show the purpose withdrawn. */
  const withdrawalShown = (subjectId: string, purpose: string) =>
    waitFor(
      async () =>
        purposeAllowed(
          (await system.api('GET', `/v1/subjects/${subjectId}/consents`)).body,
          purpose,
        ) === false,
      { timeoutMs: 5_000, description: 'the withdrawal in the consents' },
    );

  it('opens a signed link, and switching off marketing email reaches the email platform within seconds', async () => {
    // Given a person who agreed to marketing email on the web banner
    const subjectId = uniqueName('centre-person');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    await waitFor(() => emailState(subjectId) === 'subscribed', {
      timeoutMs: 30_000,
      description: 'the grant delivered',
    });

    // When they open the link from an email and switch marketing email off
    const page = await system.openPage();
    await page.goto((await system.link(subjectId)).url);
    expect(page.url()).toMatch(/\/preferences$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Your privacy choices',
    );
    const email = section(page, 'Offers and news by email');
    await expect(email.locator('.state').textContent()).resolves.toMatch(/^On since /);
    await saveScreenshot(page, 'preferences-en-before');
    const clicked = Date.now();
    await email.getByRole('button', { name: 'Switch off' }).click();

    // Then the page says it is saved and off, and the email platform is told within the deadline
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(
      'Offers and news by email is now off',
    );
    await expect(
      section(page, 'Offers and news by email').locator('.state').textContent(),
    ).resolves.toMatch(/^Off since /);
    await waitFor(() => emailState(subjectId) === 'unsubscribed', {
      timeoutMs: 10_000,
      description: 'the email platform told to unsubscribe',
    });
    expect(Date.now() - clicked).toBeLessThan(10_000);
    // ...recorded as the person's own choice in the preference centre, in their history
    await expect(page.getByRole('table').textContent()).resolves.toContain('Withdrew');
    const events = await system.api('GET', `/v1/subjects/${subjectId}/events`);
    expect(events.body.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          purpose: 'marketing.email',
          action: 'WITHDRAW',
          method: 'PREFERENCE_CENTRE',
          channel: 'WEB',
          // The notice the page showed, cited by the withdrawal too
          notice: expect.objectContaining({ noticeId: 'privacy-notice', version: '3' }),
        }),
      ]),
    );
    await saveScreenshot(page, 'preferences-en-after');
    await page.context().close();
  });

  it('withdraws everything after a confirmation page that names the systems it tells', async () => {
    const subjectId = uniqueName('withdraw-all');
    for (const purpose of ['marketing.email', 'ml.training', 'analytics.behavioral'])
      await system.choose(subjectId, purpose, 'GRANT');
    const page = await system.openPage();
    await page.goto((await system.link(subjectId)).url);

    await page.getByRole('link', { name: 'Withdraw everything that needs my consent' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Withdraw every consent?',
    );
    const listed = await page.locator('main').textContent();
    for (const text of [
      'Offers and news by email',
      'Training our models',
      'our email platform',
      'our model training',
    ])
      expect(listed).toContain(text);
    await saveScreenshot(page, 'withdraw-all-confirm-en');
    await page.getByRole('button', { name: 'Yes, withdraw everything' }).click();

    await expect(page.getByRole('status').first().textContent()).resolves.toContain(
      'everything that needs your consent is off',
    );
    const consents = await system.api('GET', `/v1/subjects/${subjectId}/consents`);
    const allowed = (consents.body.purposes as Array<{ purpose: string; allowed: boolean }>)
      .filter((purpose) =>
        ['marketing.email', 'ml.training', 'analytics.behavioral'].includes(purpose.purpose),
      )
      .map((purpose) => purpose.allowed);
    expect(allowed).toEqual([false, false, false]);
    await waitFor(() => emailState(subjectId) === 'unsubscribed', {
      timeoutMs: 10_000,
      description: 'the email platform told',
    });
    await page.context().close();
  });

  it('unsubscribes at once on an RFC 8058 one-click POST, and a GET only asks', async () => {
    const subjectId = uniqueName('one-click');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const link = await system.link(subjectId, { jurisdiction: 'DE', purpose: 'marketing.email' });
    expect(link.oneClickUnsubscribe?.headers).toEqual({
      'List-Unsubscribe': `<${link.oneClickUnsubscribe?.url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });

    // A mail scanner following the link changes nothing
    const page = await system.openPage();
    await page.goto(link.oneClickUnsubscribe!.url);
    await expect(page.getByRole('button', { name: 'Unsubscribe' }).isVisible()).resolves.toBe(true);
    await saveScreenshot(page, 'unsubscribe-en');
    const consents = await system.api('GET', `/v1/subjects/${subjectId}/consents`);
    expect(purposeAllowed(consents.body, 'marketing.email')).toBe(true);

    // Pressing the page's button sends the same POST a mail client's one-click sends
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'You are unsubscribed from Offers and news by email',
    );
    await saveScreenshot(page, 'unsubscribed-en');
    // ...and the mail client's one-click POST (twice, as clients retry) records nothing more
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await fetch(link.oneClickUnsubscribe!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(response.status).toBe(200);
    }
    await withdrawalShown(subjectId, 'marketing.email');
    const events = (await system.api('GET', `/v1/subjects/${subjectId}/events`)).body
      .events as Array<Record<string, unknown>>;
    expect(events.filter((event) => event.action === 'WITHDRAW')).toEqual([
      expect.objectContaining({
        method: 'UNSUBSCRIBE_LINK',
        channel: 'EMAIL_LINK',
        purpose: 'marketing.email',
      }),
    ]);
    await page.context().close();
  });

  it('takes a one-click POST sent as multipart/form-data, as some mail clients send it', async () => {
    const subjectId = uniqueName('one-click-multipart');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const link = await system.link(subjectId, { jurisdiction: 'DE', purpose: 'marketing.email' });
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const response = await fetch(link.oneClickUnsubscribe!.url, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    await withdrawalShown(subjectId, 'marketing.email');
  });

  it('answers an expired or altered link with a page that says what to do, never a stack trace', async () => {
    const subjectId = uniqueName('bad-link');
    const keyring = LinkSigningKeyring.open(system.environment.overrides.PREFERENCE_LINK_KEY_FILE!);
    const { keyId, privateKey } = keyring.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = signLinkToken(
      { subjectId, jurisdiction: 'DE', issuedAt: now - 7_200, expiresAt: now - 3_600 },
      keyId,
      privateKey,
    );
    const centre = system.pipeline.url('preference-centre');
    const page = await system.openPage();

    const expiredAnswer = await page.goto(`${centre}/p/${expired}`);
    expect(expiredAnswer?.status()).toBe(410);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'This link has expired',
    );
    await saveScreenshot(page, 'link-expired-en');

    const genuine = (await system.link(subjectId)).url;
    const [head, payload, signature] = genuine.slice(genuine.lastIndexOf('/') + 1).split('.');
    const altered = `${head}.${payload!.slice(0, -2)}AA.${signature}`;
    const alteredAnswer = await page.goto(`${centre}/p/${altered}`);
    expect(alteredAnswer?.status()).toBe(400);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'This link does not work',
    );
    expect(await page.content()).not.toMatch(/Error:|at .*\.ts:\d+/);

    // And without a session, the choices page asks to open the link again
    const noSession = await page.goto(`${centre}/preferences`);
    expect(noSession?.status()).toBe(401);
    await page.context().close();
  });

  it('keeps links working across a rotation of the signing key, and opens links of the new key', async () => {
    const subjectId = uniqueName('rotation');
    const before = await system.link(subjectId);
    const rotated = await system.api('POST', '/v1/preference-links/signing-keys/rotations', {});
    expect(rotated.status).toBe(200);
    const after = await system.link(subjectId);
    expect(after.keyId).toBe(rotated.body.keyId);
    expect(after.keyId).not.toBe(before.keyId);
    const page = await system.openPage();
    for (const link of [after, before]) {
      await page.goto(link.url);
      expect(page.url()).toMatch(/\/preferences$/);
    }
    await page.context().close();
  });

  it('refuses a form that is not its session’s own (CSRF), changing nothing', async () => {
    const subjectId = uniqueName('csrf');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const page = await system.openPage();
    await page.goto((await system.link(subjectId)).url);
    const answer = await page.request.post(
      `${system.pipeline.url('preference-centre')}/preferences`,
      {
        form: { _csrf: 'forged', purpose: 'marketing.email', action: 'WITHDRAW' },
      },
    );
    expect(answer.status()).toBe(403);
    const consents = await system.api('GET', `/v1/subjects/${subjectId}/consents`);
    expect(purposeAllowed(consents.body, 'marketing.email')).toBe(true);
    await page.context().close();
  });
});

function purposeAllowed(consents: Record<string, unknown>, purpose: string): boolean | undefined {
  return (consents.purposes as Array<{ purpose: string; allowed: boolean }>).find(
    (entry) => entry.purpose === purpose,
  )?.allowed;
}
