import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { saveScreenshot, uniqueName, waitFor } from '@consent-ledger/testing';
import { startCentrePipeline } from './centre-pipeline';
import type { CentrePipeline } from './centre-pipeline';

/** The operator's own site, on another origin than the centre, embedding it with embed.js. */
async function startOperatorSite(): Promise<{
  server: Server;
  origin: string;
  setPage(html: string): void;
}> {
  let page = '';
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // localhost and 127.0.0.1 are different sites: the frame is cross-site, as in production.
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return { server, origin, setPage: (html) => (page = html) };
}

describe('the preference centre embedded in the operator’s site', () => {
  let system: CentrePipeline;
  let site: Awaited<ReturnType<typeof startOperatorSite>>;
  beforeAll(async () => {
    site = await startOperatorSite();
    system = await startCentrePipeline({ PREFERENCE_CENTRE_FRAME_ANCESTORS: site.origin });
  });
  afterAll(async () => {
    await system?.stop();
    await new Promise((resolve) => site?.server.close(resolve));
  });

  it('works in a frame of an allowed site, sized to its page, and a choice made there is recorded', async () => {
    const subjectId = uniqueName('embedded');
    await system.choose(subjectId, 'marketing.email', 'GRANT');
    const centre = system.pipeline.url('preference-centre');
    const link = (await system.link(subjectId)).url;
    site.setPage(`<!doctype html><html lang="en"><head><title>Example Shop account</title></head>
      <body><h1>Your account</h1><div id="privacy-choices"></div>
      <script src="${centre}/assets/embed.js" data-link="${link}" data-target="privacy-choices"
        data-title="Your privacy choices"></script></body></html>`);
    const context = await system.browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${site.origin}/account`);

    const frame = page.frameLocator('iframe[title="Your privacy choices"]');
    const email = frame.locator('section', {
      has: frame.getByRole('heading', { name: 'Offers and news by email' }),
    });
    await expect(email.locator('.state').textContent()).resolves.toMatch(/^On since /);
    // The frame grew to the centre's page (it starts at 40rem, 640 px)
    await waitFor(async () => ((await page.locator('iframe').boundingBox())?.height ?? 0) > 1_000, {
      timeoutMs: 5_000,
      description: 'the frame sized to the page',
    });
    await saveScreenshot(page, 'embedded-en');

    await email.getByRole('button', { name: 'Switch off' }).click();
    await expect(frame.getByRole('status').first().textContent()).resolves.toContain('is now off');
    await context.close();
  });

  it('refuses to be framed by a site that is not allowed', async () => {
    const elsewhere = await startOperatorSite();
    try {
      const link = (await system.link(uniqueName('framed-elsewhere'))).url;
      elsewhere.setPage(`<!doctype html><html lang="en"><head><title>Elsewhere</title></head>
        <body><iframe title="framed" src="${link}"></iframe></body></html>`);
      const context = await system.browser.newContext();
      const page = await context.newPage();
      const refused = page.waitForEvent('console', (message) =>
        message.text().includes('frame-ancestors'),
      );
      await page.goto(`${elsewhere.origin}/`);
      // Chromium refuses the frame for the centre's frame-ancestors and says so
      await expect(refused).resolves.toBeDefined();
      await expect(
        page.frameLocator('iframe').getByRole('heading', { level: 1 }).count(),
      ).resolves.toBe(0);
      await context.close();
    } finally {
      await new Promise((resolve) => elsewhere.server.close(resolve));
    }
  });
});
