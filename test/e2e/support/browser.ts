import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { chromiumBinary } from '../../../src/http/dashboard/chromium-binary.js';

export const SCREENSHOTS = path.resolve('test-output', 'screenshots');

/** The packaged Chromium, or the system one named by CHROMIUM_PATH. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch(await chromiumBinary(process.env.CHROMIUM_PATH));
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  problems: string[];
}

/** A laptop-sized page that records every console error, uncaught error and failed request. */
export async function laptopPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return { page, problems };
}

/**
 * Saves a full-page screenshot. On a loaded machine headless Chromium sometimes produces no frame
 * in time ("Unable to capture screenshot"); that is retried a few times, any other error is not.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path: file, fullPage: true });
      return file;
    } catch (err) {
      const noFrame = err instanceof Error && err.message.includes('Unable to capture screenshot');
      if (!noFrame || attempt >= 4) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** The trimmed, whitespace-collapsed text of the element with this data-testid. */
export async function testText(page: Page, testid: string): Promise<string> {
  const text = await page.getByTestId(testid).first().textContent();
  return (text ?? '').replace(/\s+/g, ' ').trim();
}
