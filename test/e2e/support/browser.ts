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

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The trimmed, whitespace-collapsed text of the element with this data-testid. */
export async function testText(page: Page, testid: string): Promise<string> {
  const text = await page.getByTestId(testid).first().textContent();
  return (text ?? '').replace(/\s+/g, ' ').trim();
}
