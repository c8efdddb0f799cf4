import { saveScreenshot, seriousAxeViolations, uniqueName, waitFor } from '@consent-ledger/testing';
import type { Page } from 'playwright-core';
import { startCentrePipeline } from './centre-pipeline';
import type { CentrePipeline } from './centre-pipeline';

/** The first heading of each page in each language: the switch really changes the language. */
const TITLES = {
  en: 'Your privacy choices',
  de: 'Ihre Datenschutz-Einstellungen',
  fr: 'Vos choix de confidentialité',
  es: 'Sus opciones de privacidad',
} as const;

describe('the preference centre for everyone: languages, accessibility, GPC and US opt-outs', () => {
  let system: CentrePipeline;
  beforeAll(async () => {
    system = await startCentrePipeline();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

  it('passes the axe check on every page in every language, on a phone', async () => {
    const subjectId = uniqueName('axe');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const link = await system.link(subjectId, { jurisdiction: 'DE', purpose: 'marketing.email' });
    const centre = system.pipeline.url('preference-centre');
    const page = await system.openPage();
    await page.goto(link.url);
    const findings: Record<string, unknown> = {};
    for (const [locale, title] of Object.entries(TITLES)) {
      const pages = {
        preferences: `${centre}/preferences?lang=${locale}`,
        'withdraw-all': `${centre}/preferences/withdraw-all?lang=${locale}`,
        unsubscribe: `${link.oneClickUnsubscribe!.url}?lang=${locale}`,
        'link-invalid': `${centre}/p/not-a-link?lang=${locale}`,
        'sign-in': `${centre}/sign-in?lang=${locale}`,
      };
      for (const [name, url] of Object.entries(pages)) {
        await page.goto(url);
        if (name === 'preferences') await expect(heading(page)).resolves.toBe(title);
        await expect(page.locator('html').getAttribute('lang')).resolves.toBe(locale);
        const violations = await seriousAxeViolations(page);
        if (violations.length > 0) findings[`${name}/${locale}`] = violations;
        await saveScreenshot(page, `${name}-${locale}`);
      }
    }
    // The code page comes after the sign-in form is sent
    for (const locale of Object.keys(TITLES)) {
      await page.goto(`${centre}/sign-in?lang=${locale}`);
      await page.locator('#email').fill(`${uniqueName('nobody')}@access.example.com`);
      await page.locator('form.stack button').click();
      await page.waitForURL(/\/sign-in$/);
      const violations = await seriousAxeViolations(page);
      if (violations.length > 0) findings[`sign-in-code/${locale}`] = violations;
      await saveScreenshot(page, `sign-in-code-${locale}`);
    }
    expect(findings).toEqual({});
    await page.context().close();
  });

  it('picks the language from Accept-Language, and the switch keeps the choice', async () => {
    const subjectId = uniqueName('language');
    const page = await system.openPage({
      locale: 'fr-CA',
      extraHTTPHeaders: { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' },
    });
    await page.goto((await system.link(subjectId)).url);
    await expect(heading(page)).resolves.toBe(TITLES.fr);

    await page.getByLabel('Langue').selectOption('es');
    await page.getByRole('button', { name: 'Changer de langue' }).click();
    await expect(heading(page)).resolves.toBe(TITLES.es);
    await page.goto(`${system.pipeline.url('preference-centre')}/preferences`);
    await expect(heading(page)).resolves.toBe(TITLES.es);
    await page.context().close();
  });

  it('works with the keyboard alone', async () => {
    const subjectId = uniqueName('keyboard');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const page = await system.openPage();
    await page.goto((await system.link(subjectId)).url);

    // The skip link comes first and moves focus to the choices
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe(
      'Skip to your choices',
    );
    await page.keyboard.press('Enter');
    // Tab on to the first switch (marketing email's "Switch off") and press it
    let focused = '';
    for (let presses = 0; presses < 20 && focused !== 'Switch off'; presses += 1) {
      await page.keyboard.press('Tab');
      focused = String(await page.evaluate('document.activeElement.textContent'));
    }
    expect(focused).toBe('Switch off');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('is now off');
    await page.context().close();
  });

  it('honours the Sec-GPC header where the law makes it an opt-out, and says so', async () => {
    const subjectId = uniqueName('gpc-header');
    await system.choose(subjectId, 'data.sale_sharing', 'GRANT', 'US-CA');
    const page = await system.openPage({ extraHTTPHeaders: { 'sec-gpc': '1' } });
    await page.goto((await system.link(subjectId, { jurisdiction: 'US-CA' })).url);

    await expect(page.locator('[data-gpc]').getAttribute('data-gpc')).resolves.toBe('honoured');
    await expect(page.locator('[data-gpc]').textContent()).resolves.toContain(
      'Global Privacy Control',
    );
    const sale = page.locator('section', {
      has: page.getByRole('heading', { name: 'Do Not Sell or Share My Personal Information' }),
    });
    await expect(sale.locator('.state').textContent()).resolves.toMatch(/^You opted out/);
    await expect(sale.getByRole('button').textContent()).resolves.toBe('Cancel my opt-out');
    const events = (await system.api('GET', `/v1/subjects/${subjectId}/events`)).body
      .events as Array<Record<string, unknown>>;
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          purpose: 'data.sale_sharing',
          action: 'WITHDRAW',
          method: 'GLOBAL_PRIVACY_CONTROL',
        }),
      ]),
    );
    await saveScreenshot(page, 'preferences-us-ca-gpc');
    await page.context().close();
  });

  it('honours navigator.globalPrivacyControl set by the browser without the header', async () => {
    const subjectId = uniqueName('gpc-script');
    const page = await system.openPage();
    await page.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    );
    // In California, sale and sharing is allowed until the person opts out.
    await page.goto((await system.link(subjectId, { jurisdiction: 'US-CA' })).url);
    await page.waitForURL(/gpc=1/);
    await expect(page.locator('[data-gpc]').getAttribute('data-gpc')).resolves.toBe('honoured');
    await waitFor(
      async () => {
        const consents = await system.api('GET', `/v1/subjects/${subjectId}/consents`);
        return (consents.body.purposes as Array<{ purpose: string; allowed: boolean }>).some(
          (purpose) => purpose.purpose === 'data.sale_sharing' && !purpose.allowed,
        );
      },
      { timeoutMs: 5_000, description: 'sale and sharing opted out' },
    );
    await page.context().close();
  });

  it('words the US opt-outs as the law does, and shows contract purposes as no choice', async () => {
    const subjectId = uniqueName('ccpa');
    const page = await system.openPage();
    await page.goto((await system.link(subjectId, { jurisdiction: 'US-CA' })).url);
    for (const wording of [
      'Do Not Sell or Share My Personal Information',
      'Limit the Use of My Sensitive Personal Information',
    ])
      await expect(page.getByRole('heading', { name: wording }).count()).resolves.toBe(1);
    const transactional = page.locator('section', {
      has: page.getByRole('heading', { name: 'Order and account messages' }),
    });
    await expect(transactional.getByRole('button').count()).resolves.toBe(0);
    await expect(transactional.textContent()).resolves.toContain('not a choice');

    // In Germany the same purposes are plain opt-in switches
    await page.goto((await system.link(uniqueName('gdpr'), { jurisdiction: 'DE' })).url);
    await expect(
      page.getByRole('heading', { name: 'Do Not Sell or Share My Personal Information' }).count(),
    ).resolves.toBe(0);
    await page.context().close();
  });
});
