import {
  ACKS_ALL,
  consentTopics,
  createDurableProducer,
  createKafkaClient,
} from '@consent-ledger/kafka';
import { saveScreenshot, seriousAxeViolations, uniqueName, waitFor } from '@consent-ledger/testing';
import type { Page } from 'playwright-core';
import { countOf, liveFigure, startDashboardPipeline } from './dashboard-pipeline';
import type { DashboardPipeline } from './dashboard-pipeline';

const EMAIL = 'marketing.email';
/** The live key of a count on the consent page (all jurisdictions). */
const countKey = (standing: string) => `consent:*:${EMAIL}:${standing}`;

describe('compliance dashboard in a real browser, signed in through a real OpenID provider', () => {
  let stack: DashboardPipeline;
  let compliance: Page;
  const granted = Array.from({ length: 4 }, () => uniqueName('dash'));

  beforeAll(async () => {
    stack = await startDashboardPipeline();
    for (const subjectId of granted) await stack.choose(subjectId, EMAIL, 'GRANT');
    compliance = await stack.signedIn('compliance');
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('counts consent by state from the projector, and a withdrawal shows within seconds, live', async () => {
    await compliance.goto(`${stack.pipeline.url('compliance-dashboard')}/consent`);
    expect(await compliance.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Consent by state',
    );
    await liveFigure(compliance, countKey('ACTIVE'), (text) => countOf(text) === granted.length);
    const withdrawnBefore = countOf(
      await liveFigure(compliance, countKey('WITHDRAWN'), () => true),
    );

    const withdrawnAt = Date.now();
    await stack.choose(granted[0]!, EMAIL, 'WITHDRAW');
    // No reload: the page follows /live
    await liveFigure(
      compliance,
      countKey('WITHDRAWN'),
      (text) => countOf(text) === withdrawnBefore + 1,
      10_000,
    );
    await liveFigure(
      compliance,
      countKey('ACTIVE'),
      (text) => countOf(text) === granted.length - 1,
    );
    expect(Date.now() - withdrawnAt).toBeLessThan(10_000);

    expect(await seriousAxeViolations(compliance)).toEqual([]);
    await saveScreenshot(compliance, 'dashboard-consent-by-state');
  });

  it('shows the withdrawal reaching the email platform, and a dead letter with its reason', async () => {
    await compliance.goto(`${stack.pipeline.url('compliance-dashboard')}/propagation`);
    await liveFigure(
      compliance,
      'propagation:email-platform:withdrawals',
      (text) => countOf(text) >= 1,
      30_000,
    );
    const p99 = await liveFigure(compliance, 'propagation:email-platform:p99', (text) =>
      text.endsWith('ms'),
    );
    expect(Number.parseFloat(p99.replaceAll(',', ''))).toBeGreaterThan(0);

    // A record the projector cannot read: dead-lettered with its reason, and the events behind it still apply
    const kafka = createKafkaClient(stack.environment.config.kafka, 'dashboard-int-spec');
    const producer = createDurableProducer(kafka);
    await producer.connect();
    const topics = consentTopics(stack.environment.config.kafka.topicPrefix);
    await producer.send({
      topic: topics.events,
      acks: ACKS_ALL,
      messages: [{ key: uniqueName('poison'), value: Buffer.from('not an Avro record') }],
    });
    await producer.disconnect();
    await waitFor(
      async () => {
        await compliance.reload();
        // Asked without waiting: the table appears only on a reload after the letter arrived.
        const letters = compliance.locator('table.letters');
        return (
          (await letters.count()) > 0 && (await letters.textContent())?.includes('RECORD.NOT_AVRO')
        );
      },
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: 'the dead letter on the propagation page',
      },
    );
    expect(await compliance.locator('table.letters').textContent()).toMatch(/consent-projector/);

    expect(await seriousAxeViolations(compliance)).toEqual([]);
    await saveScreenshot(compliance, 'dashboard-propagation');
  });

  it('exports a list as CSV that matches the consent API, and records the export', async () => {
    const dashboard = stack.pipeline.url('compliance-dashboard');
    const response = await compliance.request.get(
      `${dashboard}/consent/subjects.csv?purpose=${EMAIL}&standing=ACTIVE`,
    );
    expect(response.status()).toBe(200);
    const [header, ...lines] = (await response.text()).trim().split('\r\n');
    expect(header).toBe('subject_id,purpose,standing,jurisdiction,since');
    const listed = lines.map((line) => line.split(',')[0]!).sort();
    expect(listed).toEqual(granted.slice(1).sort());
    for (const subjectId of granted) {
      const { body } = await stack.api('consent-api', 'GET', `/v1/subjects/${subjectId}/consents`);
      const email = (body.purposes as Array<{ purpose: string; allowed: boolean }>).find(
        (p) => p.purpose === EMAIL,
      );
      expect({ subjectId, allowed: email?.allowed }).toEqual({
        subjectId,
        allowed: listed.includes(subjectId),
      });
    }
    const { body } = await stack.api('auditor', 'GET', '/v1/audit/admin-log');
    const exports = (
      body.entries as Array<{
        actor: string;
        action: string;
        target: string;
        details: { rows: number };
      }>
    ).filter((entry) => entry.action === 'dashboard.export');
    expect(exports).toContainEqual(
      expect.objectContaining({
        actor: 'person:compliance',
        target: `subjects-${EMAIL}-ACTIVE`,
        details: expect.objectContaining({ rows: 3 }),
      }),
    );
  });

  it('shows each other view to the compliance officer, accessible on a desktop and on a phone', async () => {
    await stack.api('auditor', 'GET', '/v1/audit/verify');
    await startReconsentCampaign();
    for (const view of ['rates', 'pending', 'findings']) {
      await compliance.goto(`${stack.pipeline.url('compliance-dashboard')}/${view}`);
      expect(await compliance.locator('h1').count()).toBe(1);
      expect(await seriousAxeViolations(compliance)).toEqual([]);
      await saveScreenshot(compliance, `dashboard-${view}`);
      if (view === 'pending')
        expect(
          await compliance.getByRole('table', { name: /Re-consent campaigns/ }).textContent(),
        ).toContain('privacy@4');
    }
    // The record the projector dead-lettered is in the log: verify reports it, the page lists it
    expect(await compliance.locator('.verdict').textContent()).toMatch(/^Findings: 1 finding,/);
    expect(await compliance.locator('table.figures').first().textContent()).toContain('UNREADABLE');
    await compliance.setViewportSize({ width: 390, height: 844 });
    await compliance.goto(`${stack.pipeline.url('compliance-dashboard')}/consent`);
    expect(await seriousAxeViolations(compliance)).toEqual([]);
    await saveScreenshot(compliance, 'dashboard-consent-phone');
  });

  /** A material notice change asking the people granted under version 3 (the tests' notice) again. */
  const startReconsentCampaign = async () => {
    const registered = await stack.api('consent-api', 'PUT', '/v1/notices/privacy/versions/4', {
      text: 'Privacy notice, version 4.',
    });
    expect(registered.status).toBe(201);
    const started = await stack.api(
      'consent-api',
      'POST',
      '/v1/notices/privacy/versions/4/re-consent',
      {
        gracePeriod: 'P30D',
      },
    );
    expect(started.status).toBe(202);
  };

  it('refuses a role without access, and shows an auditor only the views of the role', async () => {
    const marketing = await stack.signedIn('marketing');
    expect(await marketing.locator('h1').textContent()).toBe('Not open to your role');
    expect(await marketing.locator('main').textContent()).toMatch(/give no access/);
    const refused = await marketing.request.get(
      `${stack.pipeline.url('compliance-dashboard')}/consent.csv`,
    );
    expect(refused.status()).toBe(403);
    await saveScreenshot(marketing, 'dashboard-refused');

    const auditor = await stack.signedIn('auditor');
    const nav = await auditor.getByRole('navigation', { name: 'Views' }).textContent();
    expect(nav).toContain('Findings');
    expect(nav).not.toContain('Propagation');
    const propagation = await auditor.goto(
      `${stack.pipeline.url('compliance-dashboard')}/propagation`,
    );
    expect(propagation?.status()).toBe(403);
  });

  it('sends a person who is not signed in to sign in, and never serves a feed or an export to them', async () => {
    const context = await stack.browser.newContext();
    const dashboard = stack.pipeline.url('compliance-dashboard');
    expect((await context.request.get(`${dashboard}/consent.csv`)).status()).toBe(401);
    expect((await context.request.get(`${dashboard}/live`)).status()).toBe(401);
    const page = await context.newPage();
    await page.goto(`${dashboard}/findings`);
    expect(page.url()).toMatch(new RegExp(`^${stack.pipeline.url('identity-provider')}/`));
    await context.close();
  });
});
