import type { Browser } from 'playwright-core';
import { DomainError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import { chromiumBinary } from './chromium-binary.js';

export interface PdfPrinter {
  /**
   * Opens `url` with a cookie, waits until its charts are drawn and prints it as A4 PDF. The cookie
   * is asked for only once this print has its slot, so a short-lived session is not spent waiting.
   * Throws `pdf_busy` when the queue is full and `pdf_unavailable` when no browser can start.
   */
  print(url: string, cookie: () => { name: string; value: string }): Promise<Buffer>;
  /** Closes the browser if one was launched. */
  close(): Promise<void>;
  /** Whether PDF exports work, as far as this process knows: for /readyz, which calls it degraded. */
  health(): PdfHealth;
}

export interface PdfHealth {
  /** False after the browser failed to start or to print; true once it has started. */
  ok: boolean;
  /** Before the first print nothing is known: the browser is launched on demand. */
  checked: boolean;
  reason?: string;
}

export interface PdfPrinterOptions {
  /** A system Chromium (CHROMIUM_PATH); the packaged one when absent. */
  executablePath?: string;
  logger?: Logger;
  /** Pages printed at the same time; more wait their turn (Chromium is heavy on 2 cores). */
  concurrency?: number;
  /** Prints that may wait for a slot; one more is refused with `pdf_busy`. */
  maxQueue?: number;
  timeoutMs?: number;
  /** Starts the browser; tests hand in a fake. */
  launch?: () => Promise<Browser>;
}

/**
 * One Chromium for the whole process, launched on the first print (most instances never print)
 * and relaunched if it dies; `close()` belongs in the shutdown sequence.
 */
export function createPdfPrinter(opts: PdfPrinterOptions = {}): PdfPrinter {
  const executablePath = opts.executablePath ?? 'packaged';
  const timeout = opts.timeoutMs ?? 30_000;
  const limit = opts.concurrency ?? 2;
  const maxQueue = opts.maxQueue ?? 8;
  let browser: Promise<Browser> | undefined;
  let closed = false;
  let active = 0;
  const waiting: (() => void)[] = [];
  let state: PdfHealth = { ok: true, checked: false };
  const unavailable = (err: unknown): DomainError => {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    state = { ok: false, checked: true, reason: reason ?? 'unknown' };
    return new DomainError(
      'pdf_unavailable',
      `PDF export is not available: the browser could not start (${state.reason}). Set CHROMIUM_PATH to a Chromium, or download the readout as CSV.`,
    );
  };

  async function launch(): Promise<Browser> {
    let b: Browser;
    try {
      if (opts.launch) b = await opts.launch();
      else {
        const { chromium } = await import('playwright-core');
        const binary = await chromiumBinary(opts.executablePath);
        b = await chromium.launch({ ...binary, timeout });
      }
    } catch (err) {
      opts.logger?.error({ err, executablePath }, 'chromium could not start for PDF exports');
      throw unavailable(err);
    }
    state = { ok: true, checked: true };
    b.on('disconnected', () => {
      browser = undefined;
    });
    opts.logger?.info({ executablePath }, 'chromium launched for PDF exports');
    return b;
  }

  function getBrowser(): Promise<Browser> {
    if (!browser) {
      browser = launch();
      browser.catch(() => {
        browser = undefined;
      });
    }
    return browser;
  }

  async function slot(): Promise<() => void> {
    if (active >= limit) {
      if (waiting.length >= maxQueue) {
        throw new DomainError('pdf_busy', undefined, { retryAfterSeconds: Math.ceil(timeout / 1000) });
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    active += 1;
    return () => {
      active -= 1;
      waiting.shift()?.();
    };
  }

  return {
    async print(url, cookie) {
      if (closed) throw new Error('the PDF printer is closed');
      const release = await slot();
      try {
        const b = await getBrowser();
        const context = await b.newContext({ viewport: { width: 1200, height: 900 } });
        try {
          const { name, value } = cookie();
          await context.addCookies([{ name, value, url: new URL(url).origin }]);
          const page = await context.newPage();
          page.setDefaultTimeout(timeout);
          const response = await page.goto(url, { waitUntil: 'load' });
          if (response?.status() !== 200) {
            throw new Error(`the page to print answered ${response?.status() ?? 'nothing'}`);
          }
          await page.waitForSelector('body[data-charts-ready]');
          await page.emulateMedia({ media: 'screen' });
          return await page.pdf({
            format: 'A4',
            printBackground: true,
            margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
            scale: 0.75,
          });
        } finally {
          await context.close().catch(() => undefined);
        }
      } finally {
        release();
      }
    },
    health: () => state,
    async close() {
      closed = true;
      const b = browser;
      browser = undefined;
      if (b) await (await b.catch(() => undefined))?.close();
    },
  };
}
