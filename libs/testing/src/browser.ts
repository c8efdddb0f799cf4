import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** Debian's Chromium (the test command installs it: `apt-get install chromium`). */
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Where the browser tests leave a screenshot of every page they look at, for review. */
export const SCREENSHOT_DIR = join('test-results', 'screenshots');

/** Starts Debian's Chromium headless through Playwright (no browser download). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = CHROMIUM_PATHS.find((path) => existsSync(path));
  if (!executablePath)
    throw new Error(
      `no Chromium at ${CHROMIUM_PATHS.join(' or ')}: install Debian's package (apt-get install chromium); npm test does`,
    );
  // As root (CI), Chromium's sandbox cannot start; the pages are our own.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

/** An accessibility finding axe-core reports. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: string[];
}

/**
 * The serious and critical WCAG 2.x A/AA violations axe-core finds on the page as it is (the page
 * context must bypass CSP, since axe is injected as a script).
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  // Runs in the page (a string, so this file needs no DOM types).
  const violations = (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((node) => JSON.stringify(node.target)),
    }));
  })()`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a full-page screenshot under test-results/screenshots/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
