import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JourneySummary,
  type Portfolio,
  portfolioMeasures,
} from '../../src/domain/schemas/insights.schema.js';
import type { ReadoutResponse } from '../../src/domain/schemas/snapshot.schema.js';
import { createApp } from '../../src/http/app.js';
import { chance, count, pValue, relative } from '../../src/http/dashboard/format.js';
import { liftText } from '../../src/http/dashboard/journeys.page.js';
import { createPdfPrinter, type PdfPrinter } from '../../src/http/dashboard/pdf-printer.js';
import { pooledCellText } from '../../src/http/dashboard/portfolio.page.js';
import { createLogger } from '../../src/logger.js';
import { isVariantResult, wordingFor } from '../../src/stats/index.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { laptopPage, launchBrowser, screenshot, testText, type WatchedPage } from './support/browser.js';
import { experiments, journey, seedDashboard } from './support/seed-dashboard.js';

let h: Harness;
let server: Server;
let base = '';
let browser: Browser;
let pdf: PdfPrinter;

beforeAll(async () => {
  h = await createHarness();
  pdf = createPdfPrinter();
  const app = createApp({
    services: h.services,
    logger: createLogger('silent'),
    bodyLimit: '1mb',
    version: 'e2e',
    dashboard: { sessionSecret: 'e2e-session-secret-0123456789', sessionTtlMinutes: 30, pdf },
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await seedDashboard({
    baseUrl: base,
    strategistKey: h.keys.strategist,
    adminKey: h.keys.admin,
    refreshPayload: () => h.services.capture.assignments.refresh(),
  });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await pdf?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h.close();
});

async function api<T>(path: string, key = h.keys.viewer): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function signIn(w: WatchedPage, key: string, next = '/dashboard'): Promise<number | undefined> {
  await w.page.goto(`${base}${next}`);
  await w.page.getByTestId('api-key-input').fill(key);
  const [response] = await Promise.all([
    w.page.waitForNavigation(),
    w.page.getByTestId('sign-in-submit').click(),
  ]);
  return response?.status();
}

/** The page fits a 1366-pixel-wide laptop screen without sideways scrolling. */
async function fitsLaptop(w: WatchedPage): Promise<boolean> {
  // A string, so the test compiles without the DOM library; it runs in the page.
  return w.page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}

describe('dashboard pages signed in with a viewer key', () => {
  let w: WatchedPage;
  beforeAll(async () => {
    w = await laptopPage(browser);
    await signIn(w, h.keys.viewer, `/dashboard/journeys/${journey.key}`);
  });

  it('shows the journey map with each experiment coloured by the summary API numbers', async () => {
    expect(w.page.url()).toBe(`${base}/dashboard/journeys/${journey.key}`);
    const summary = await api<JourneySummary>(`/v1/journeys/${journey.key}/summary`);
    await w.page.waitForSelector('body[data-charts-ready]');
    expect(await testText(w.page, 'signed-in-as')).toBe('test-viewer (viewer)');
    expect(await w.page.getByRole('heading', { level: 1 }).textContent()).toBe('Loans <e2e>');
    let chips = 0;
    for (const tp of summary.touchpoints) {
      for (const exp of tp.experiments) {
        for (const which of ['primary', 'satisfaction'] as const) {
          const chip = w.page.getByTestId(`exp-${exp.key}-${which}`);
          const metric = await chip.getAttribute('data-metric');
          const variant = await chip.getAttribute('data-variant');
          const lift = exp.lifts.find((l) => l.metric === metric && l.variant === variant);
          expect(lift, `${exp.key} ${which}`).toBeDefined();
          const label = which === 'primary' ? 'Primary' : 'Satisfaction';
          expect(await testText(w.page, `exp-${exp.key}-${which}`)).toBe(
            `${label}: ${liftText(lift!)} ${chance(lift!.chanceToBeatControl)}`,
          );
          chips++;
        }
      }
    }
    expect(chips).toBe(4);
    expect(await fitsLaptop(w)).toBe(true);
    await screenshot(w.page, 'journeys');
    expect(w.problems).toEqual([]);
  });

  it('shows the experiment readout with the readout API numbers and draws its charts', async () => {
    const key = experiments[1]!.key;
    await w.page.goto(`${base}/dashboard/experiments/${key}`);
    await w.page.waitForSelector('body[data-charts-ready]');
    const view = await api<ReadoutResponse>(`/v1/experiments/${key}/readout`);
    const readout = view.latest!.readout!;
    expect(await testText(w.page, 'decision-summary')).toBe(readout.decision.summary);
    expect(await testText(w.page, 'srm-p')).toBe(pValue(readout.srm.pValue));
    for (const [variant, n] of Object.entries(view.latest!.counts!.exposures)) {
      expect(await testText(w.page, `exposures-${variant}`)).toBe(count(n));
    }
    let cells = 0;
    for (const [metric, m] of Object.entries(readout.metrics)) {
      for (const [variant, r] of Object.entries(m.variants)) {
        if (!isVariantResult(r)) continue;
        expect(await testText(w.page, `chance-${metric}-${variant}`)).toBe(chance(r.chanceToBeatControl));
        expect(await testText(w.page, `lift-${metric}-${variant}`)).toBe(relative(r.relativeLift.mean));
        if (m.role === 'guardrail') {
          expect(await testText(w.page, `harm-${metric}-${variant}`)).toBe(chance(r.chanceOfHarm));
        }
        cells++;
      }
    }
    expect(cells).toBe(2);
    // Its survey guardrail: who answered per arm, as the readout's evidence has it.
    const surveys = Object.entries(view.latest!.evidence?.responseBias ?? {});
    expect(surveys.length).toBe(1);
    for (const [metric, r] of surveys) {
      expect(await w.page.getByTestId(`response-bias-${metric}`).getAttribute('data-flagged')).toBe(
        String(r.flagged),
      );
      for (const [variant, a] of Object.entries(r.arms)) {
        expect(await testText(w.page, `answered-${metric}-${variant}`)).toBe(count(a.answered));
        expect(await testText(w.page, `answered-share-${metric}-${variant}`)).toBe(chance(a.share));
      }
    }
    // One lift chart per metric plus two history charts; two refreshes made two history points.
    expect(view.history.length).toBe(2);
    expect(await w.page.getAttribute('body', 'data-charts-ready')).toBe('4');
    expect(await w.page.locator('canvas').count()).toBe(4);
    expect(await fitsLaptop(w)).toBe(true);
    await screenshot(w.page, 'experiment');
    expect(w.problems).toEqual([]);
  });

  it('ranks nudge types and touchpoints on the portfolio page with the portfolio API numbers', async () => {
    await w.page.goto(`${base}/dashboard/portfolio`);
    await w.page.waitForSelector('body[data-charts-ready]');
    const p = await api<Portfolio>('/v1/portfolio');
    for (const m of portfolioMeasures) {
      for (const t of p.nudgeTypes) {
        expect(await testText(w.page, `pf-type-${t.type}-${m}`)).toBe(pooledCellText(m, t[m]));
      }
      for (const t of p.touchpoints) {
        expect(await testText(w.page, `pf-tp-${t.key}-${m}`)).toBe(pooledCellText(m, t[m]));
      }
    }
    expect(p.nudgeTypes.map((t) => t.type).sort()).toEqual(['default', 'framing']);
    expect(await fitsLaptop(w)).toBe(true);
    await screenshot(w.page, 'portfolio');
    expect(w.problems).toEqual([]);
  });

  it('downloads the readout as CSV with the session, the same CSV the API gives', async () => {
    const key = experiments[0]!.key;
    const viaSession = await w.page.request.get(`${base}/dashboard/experiments/${key}/readout.csv`);
    expect(viaSession.status()).toBe(200);
    const viaKey = await fetch(`${base}/v1/experiments/${key}/readout.csv`, {
      headers: { authorization: `Bearer ${h.keys.viewer}` },
    });
    expect(await viaSession.text()).toBe(await viaKey.text());
  });

  it('prints the experiment page as a PDF for the session and for an API key', async () => {
    const key = experiments[0]!.key;
    const viaSession = await w.page.request.get(`${base}/v1/experiments/${key}/readout.pdf`);
    expect(viaSession.status()).toBe(200);
    expect(viaSession.headers()['content-type']).toBe('application/pdf');
    expect((await viaSession.body()).subarray(0, 4).toString()).toBe('%PDF');
    const viaKey = await fetch(`${base}/v1/experiments/${key}/readout.pdf`, {
      headers: { authorization: `Bearer ${h.keys.viewer}` },
    });
    expect(viaKey.status).toBe(200);
    expect(
      Buffer.from(await viaKey.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('%PDF');
  });
});

describe('the dashboard in the reader language', () => {
  it('when Українська is picked from the links, then the experiment page is Ukrainian with the API numbers', async () => {
    const w = await laptopPage(browser);
    await signIn(w, h.keys.viewer, `/dashboard/experiments/${experiments[1]!.key}`);
    // A plain link: the choice is saved and the same page comes back, no script involved.
    await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('language-uk').click()]);
    expect(new URL(w.page.url()).pathname).toBe(`/dashboard/experiments/${experiments[1]!.key}`);
    await w.page.waitForSelector('body[data-charts-ready]');
    expect(await w.page.getAttribute('html', 'lang')).toBe('uk');
    expect(await w.page.locator('h2').allTextContents()).toEqual(
      expect.arrayContaining(['Трафік', 'Метрики', 'Захисні метрики']),
    );
    const view = await api<ReadoutResponse>(`/v1/experiments/${experiments[1]!.key}/readout?lang=uk`);
    expect(view.language).toBe('uk');
    const readout = view.latest!.readout!;
    // testText folds every space, the no-break ones between a figure and its unit included.
    const folded = (text: string) => text.replace(/\s+/g, ' ');
    expect(await testText(w.page, 'decision-summary')).toBe(folded(readout.decision.summary));
    expect(readout.decision.summary).toMatch(/[\u0400-\u04FF]/);
    const uk = wordingFor('uk');
    for (const [metric, m] of Object.entries(readout.metrics)) {
      for (const [variant, r] of Object.entries(m.variants)) {
        if (!isVariantResult(r)) continue;
        expect(await testText(w.page, `chance-${metric}-${variant}`)).toBe(
          folded(chance(r.chanceToBeatControl, uk)),
        );
      }
    }
    // The next page keeps the language without being told.
    await w.page.goto(`${base}/dashboard/portfolio`);
    expect(await w.page.locator('h1').first().textContent()).toBe('Портфель');
    await w.page.goto(`${base}/dashboard/experiments/${experiments[1]!.key}`);
    await w.page.waitForSelector('body[data-charts-ready]');
    expect(await fitsLaptop(w)).toBe(true);
    await screenshot(w.page, 'experiment-uk');
    expect(w.problems).toEqual([]);
    await w.page.context().close();
  });
});

describe('dashboard sign-in and its protections', () => {
  it('sends a visitor without a session to the sign-in form, keeping where they wanted to go', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/dashboard');
    const res = await fetch(`${base}/dashboard/portfolio`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard%2Fportfolio');
  });

  it('refuses an app key in the sign-in form with a clear message and sets no session', async () => {
    const w = await laptopPage(browser);
    const status = await signIn(w, h.keys.app);
    expect(status).toBe(403);
    expect(await testText(w.page, 'sign-in-error')).toBe(
      'An app key cannot open the dashboard; sign in with a viewer, strategist or admin key.',
    );
    const cookies = await w.page.context().cookies();
    expect(cookies.find((c) => c.name === 'nl_session')).toBeUndefined();
    await screenshot(w.page, 'sign-in-app-key-refused');
    await w.page.context().close();
  });

  it('refuses a sign-in post without the form CSRF token and sets no session', async () => {
    const form = await fetch(`${base}/dashboard/sign-in`);
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^nl_signin=/);
    const post = (body: string, withCookie: boolean) =>
      fetch(`${base}/dashboard/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(withCookie ? { cookie } : {}) },
        body,
      });
    const key = encodeURIComponent(h.keys.viewer);
    const missing = await post(`apiKey=${key}`, true);
    const wrong = await post(`apiKey=${key}&csrf=forged`, true);
    const noCookie = await post(`apiKey=${key}&csrf=${cookie.split('=')[1]}`, false);
    for (const res of [missing, wrong, noCookie]) {
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie') ?? '').not.toContain('nl_session=');
    }
    const ok = await post(
      `apiKey=${key}&csrf=${cookie.split('=')[1]}&next=${encodeURIComponent('//evil.example/dashboard')}`,
      true,
    );
    expect(ok.status).toBe(303);
    // Only dashboard paths of this site are followed after sign-in.
    expect(ok.headers.get('location')).toBe('/dashboard');
    expect(ok.headers.get('set-cookie')).toMatch(/nl_session=.*HttpOnly.*SameSite=Strict/i);
  });

  it('refuses sign-out without the session CSRF token, then signs out with it', async () => {
    const w = await laptopPage(browser);
    await signIn(w, h.keys.strategist);
    const cookies = await w.page.context().cookies();
    const session = cookies.find((c) => c.name === 'nl_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Strict');
    const forged = await fetch(`${base}/dashboard/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `nl_session=${session.value}` },
      body: 'csrf=nope',
    });
    expect(forged.status).toBe(403);
    const still = await fetch(`${base}/dashboard`, {
      redirect: 'manual',
      headers: { cookie: `nl_session=${session.value}` },
    });
    expect(still.status).toBe(200);
    expect(still.headers.get('content-security-policy')).toContain("script-src 'self'");
    await Promise.all([w.page.waitForNavigation(), w.page.getByRole('button', { name: 'Sign out' }).click()]);
    expect(w.page.url()).toBe(`${base}/dashboard/sign-in?signedOut=1`);
    expect(w.problems).toEqual([]);
    await w.page.context().close();
  });

  it('answers the PDF route 401 without credentials and 403 for an app key', async () => {
    const path = `/v1/experiments/${experiments[0]!.key}/readout.pdf`;
    const none = await fetch(`${base}${path}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const app = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${h.keys.app}` } });
    expect(app.status).toBe(403);
    const missing = await fetch(`${base}/v1/experiments/no-such-experiment/readout.pdf`, {
      headers: { authorization: `Bearer ${h.keys.viewer}` },
    });
    expect(missing.status).toBe(404);
  });
});
