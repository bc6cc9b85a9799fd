import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/roles.js';
import { syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { laptopPage, launchBrowser, screenshot, testText, type WatchedPage } from './support/browser.js';

let h: Harness;
let server: Server;
let base = '';
let browser: Browser;

const JOURNEY = 'ws-savings';
const TP = 'ws-savings.open.rate-banner';
const NUDGE = 'ws-rate-frame';
const EXP = 'ws-rate-frame-test';

beforeAll(async () => {
  h = await createHarness();
  const app = createApp({
    services: h.services,
    logger: createLogger('silent'),
    bodyLimit: '1mb',
    version: 'e2e',
    dashboard: { sessionSecret: 'e2e-session-secret-0123456789', sessionTtlMinutes: 30 },
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h.close();
});

async function signIn(w: WatchedPage, key: string, next: string): Promise<void> {
  await w.page.goto(`${base}/dashboard/sign-in?next=${encodeURIComponent(next)}`);
  await w.page.getByTestId('api-key-input').fill(key);
  await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('sign-in-submit').click()]);
}

/** The fields the forms show as drop-downs. */
const SELECTS = /^(nudge|touchpoint|channel)$|\.(kind|role|frame|mode|aggregation)$/;

async function fill(w: WatchedPage, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) {
    const input = w.page.locator(`[name="${name}"]`).first();
    if (SELECTS.test(name)) await input.selectOption(value);
    else await input.fill(value);
  }
}

async function save(w: WatchedPage): Promise<number | undefined> {
  const [response] = await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('save').click()]);
  return response?.status();
}

async function lifecycle(w: WatchedPage, action: string): Promise<string> {
  await Promise.all([w.page.waitForNavigation(), w.page.getByTestId(`lifecycle-${action}`).click()]);
  return testText(w.page, 'exp-status');
}

const experimentFields = {
  key: EXP,
  name: 'Gain or loss wording of the savings rate',
  nudge: NUDGE,
  owner: 'savings-cx',
  hypothesis: 'Loss framing of the bonus rate raises account openings without hurting CSAT.',
  control: 'control',
  'variants[0].key': 'control',
  'variants[0].weight': '0.5',
  'variants[1].key': 'loss',
  'variants[1].weight': '0.5',
  coverage: '1',
  'metrics[0].key': 'opened',
  'metrics[0].kind': 'conversion',
  'metrics[0].role': 'primary',
  'metrics[0].event': 'account_opened',
  'metrics[1].key': 'csat',
  'metrics[1].kind': 'mean',
  'metrics[1].role': 'guardrail',
  'metrics[1].event': 'csat',
  'metrics[1].margin': '0.1',
};

describe('the workspace in the browser, as a strategist', () => {
  let w: WatchedPage;
  beforeAll(async () => {
    w = await laptopPage(browser);
    await signIn(w, h.keys.strategist, '/dashboard/workspace');
  });

  it('creates a journey with two stages, then a touchpoint from the journey map', async () => {
    expect(w.page.url()).toBe(`${base}/dashboard/workspace`);
    await screenshot(w.page, 'workspace-empty');
    await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('new-journey').click()]);
    await fill(w, {
      key: JOURNEY,
      name: 'Savings account',
      'stages[0].key': 'compare',
      'stages[0].name': 'Compare',
      'stages[1].key': 'open',
      'stages[1].name': 'Open',
    });
    expect(await save(w)).toBe(200);
    expect(w.page.url()).toBe(`${base}/dashboard/edit/journey/${JOURNEY}`);
    await screenshot(w.page, 'journey-form');
    expect((await h.services.journeys.get(JOURNEY)).stages.map((s) => s.key)).toEqual(['compare', 'open']);

    await w.page.goto(`${base}/dashboard/journeys/${JOURNEY}`);
    const add = w.page.getByTestId('add-touchpoint-open');
    await add.locator('[name="key"]').fill(TP);
    await add.locator('[name="name"]').fill('Bonus rate banner');
    await add.locator('[name="channel"]').selectOption('app');
    await Promise.all([w.page.waitForNavigation(), add.getByRole('button').click()]);
    expect(w.page.url()).toBe(`${base}/dashboard/journeys/${JOURNEY}`);
    expect(await testText(w.page, `tp-${TP}`)).toContain('Bonus rate banner');
    expect((await h.services.touchpoints.get(TP)).channel).toBe('app');
  });

  it('creates a framing nudge and previews its variants', async () => {
    await w.page.goto(`${base}/dashboard/workspace`);
    await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('new-nudge-framing').click()]);
    await fill(w, {
      key: NUDGE,
      touchpoint: TP,
      name: 'Bonus rate wording',
      principle: 'Loss aversion: a loss looms larger than an equal gain.',
      'variants[0].key': 'control',
      'variants[0].name': 'Gain',
      'variants[0].payload.frame': 'gain',
      'variants[0].payload.message': 'Earn a 1% bonus rate this year.',
      'variants[1].key': 'loss',
      'variants[1].name': 'Loss',
      'variants[1].payload.frame': 'loss',
      'variants[1].payload.message': 'Do not miss out on a 1% bonus rate.',
    });
    expect(await save(w)).toBe(200);
    expect(await testText(w.page, 'preview-loss')).toContain('Do not miss out on a 1% bonus rate.');
    await screenshot(w.page, 'nudge-form');
  });

  it('refuses weights that do not add up beside the variants and stores nothing', async () => {
    await w.page.goto(`${base}/dashboard/new/experiment`);
    await fill(w, { ...experimentFields, 'variants[1].weight': '0.4' });
    expect(await save(w)).toBe(400);
    const error = w.page.locator('[data-testid="variants-fieldset"] [data-field="variants"]');
    expect(await error.textContent()).toBe('weights must add up to 1 (got 0.9)');
    await screenshot(w.page, 'experiment-form-error');
    expect(await h.services.experiments.repo.getByKey(EXP)).toBeNull();
  });

  it('fills the variants from the chosen nudge in place, and adds a metric row with what was entered kept', async () => {
    await w.page.goto(`${base}/dashboard/new/experiment`);
    const url = w.page.url();
    await w.page.locator('[name="nudge"]').selectOption(NUDGE);
    expect(await w.page.locator('[name="variants[0].key"]').inputValue()).toBe('control');
    expect(await w.page.locator('[name="variants[1].key"]').inputValue()).toBe('loss');
    expect(await w.page.locator('[name="variants[1].weight"]').inputValue()).toBe('0.5');
    expect(await testText(w.page, 'exp-variant-name-1')).toBe('Loss');
    // Filled by the page's script: no request was made.
    expect(w.page.url()).toBe(url);
    await w.page.locator('[name="name"]').fill('Kept while rows are added');
    const metricRows = w.page.locator('[data-testid^="metric-row-"]');
    const before = await metricRows.count();
    await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('add-metrics').click()]);
    expect(await metricRows.count()).toBe(before + 1);
    expect(await w.page.locator('[name="name"]').inputValue()).toBe('Kept while rows are added');
    expect(await w.page.locator('[name="variants[1].key"]').inputValue()).toBe('loss');
    await screenshot(w.page, 'experiment-form-rows');
    // Enter in a field saves (here refused: the form is not complete), it does not add a row.
    const [response] = await Promise.all([
      w.page.waitForNavigation(),
      w.page.locator('[name="name"]').press('Enter'),
    ]);
    expect(response?.status()).toBe(400);
    expect(await metricRows.count()).toBe(before + 1);
    expect(await h.services.experiments.repo.getByKey(EXP)).toBeNull();
  });

  it('creates an experiment with a primary metric and a CSAT guardrail and starts it', async () => {
    await w.page.goto(`${base}/dashboard/new/experiment`);
    await fill(w, experimentFields);
    expect(await save(w)).toBe(200);
    expect(await testText(w.page, 'exp-status')).toBe('draft');
    const stored = await h.services.experiments.get(EXP);
    expect(stored.metrics.map((m) => [m.key, m.role])).toEqual([
      ['opened', 'primary'],
      ['csat', 'guardrail'],
    ]);
    expect(await lifecycle(w, 'start')).toBe('running');
    await screenshot(w.page, 'experiment-running');
  });

  it('shows the running experiment on the journey map and assigns it through the API', async () => {
    await w.page.goto(`${base}/dashboard/journeys/${JOURNEY}`);
    expect(await testText(w.page, `exp-${EXP}`)).toContain('running');
    await screenshot(w.page, 'journey-map');
    const res = await fetch(`${base}/v1/assignments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.keys.app}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'cust-ws-1', touchpoint: TP, channel: 'app' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { assignments: { experiment: string; variant: string }[] };
    expect(body.assignments.map((a) => a.experiment)).toEqual([EXP]);
    expect(['control', 'loss']).toContain(body.assignments[0]?.variant);
  });

  it("refuses a change to the running experiment's variants beside the field and changes nothing", async () => {
    const before = await h.services.experiments.get(EXP);
    await w.page.goto(`${base}/dashboard/edit/experiment/${EXP}`);
    await fill(w, { 'variants[0].weight': '0.7', 'variants[1].weight': '0.3' });
    expect(await save(w)).toBe(409);
    const reason = await w.page
      .locator('[data-testid="variants-fieldset"] [data-field="variants"]')
      .textContent();
    expect(reason).toBe('variants and weights cannot change');
    expect(await testText(w.page, 'form-errors')).toContain(`Experiment "${EXP}" is running.`);
    await screenshot(w.page, 'experiment-running-error');
    const after = await h.services.experiments.get(EXP);
    expect(after.version).toBe(before.version);
    expect(after.variants).toEqual(before.variants);
  });

  it('pauses, resumes, stops and concludes the experiment with a shipped variant', async () => {
    await w.page.goto(`${base}/dashboard/edit/experiment/${EXP}`);
    expect(await lifecycle(w, 'pause')).toBe('paused');
    expect(await lifecycle(w, 'resume')).toBe('running');
    expect(await lifecycle(w, 'pause')).toBe('paused');
    expect(await lifecycle(w, 'stop')).toBe('stopped');
    await w.page.locator('form.lifecycle [name="shippedVariant"]').selectOption('loss');
    expect(await lifecycle(w, 'conclude')).toBe('concluded');
    await screenshot(w.page, 'experiment-concluded');
    const stored = await h.services.experiments.get(EXP);
    expect(stored.shippedVariant).toBe('loss');
    const audit = await h.services.audit.list({ kind: 'experiment', key: EXP, limit: 10 });
    expect(audit.items.map((e) => `${e.action}:${e.source}`)).toEqual([
      'conclude:dashboard',
      'stop:dashboard',
      'pause:dashboard',
      'start:dashboard',
      'pause:dashboard',
      'start:dashboard',
      'create:dashboard',
    ]);
  });

  it('exports the journey and the nudge as YAML that sync accepts unchanged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nl-e2e-ws-'));
    try {
      for (const [kind, key] of [
        ['journey', JOURNEY],
        ['touchpoint', TP],
        ['nudge', NUDGE],
        ['experiment', EXP],
      ]) {
        const res = await w.page.request.get(`${base}/dashboard/edit/${kind}/${key}/export.yaml`);
        expect(res.status()).toBe(200);
        await writeFile(path.join(dir, `${key}.yaml`), await res.text());
      }
      const result = await syncDefinitions(h.services, { dir, dryRun: true });
      expect(result.issues).toEqual([]);
      expect(result.changes.map((c) => c.action)).toEqual([
        'unchanged',
        'unchanged',
        'unchanged',
        'unchanged',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('deleting in the browser, as a strategist', () => {
  it('deletes a draft journey after asking to confirm, and the workspace says so', async () => {
    const w = await laptopPage(browser);
    await signIn(w, h.keys.strategist, '/dashboard/workspace');
    await h.services.journeys.create(systemActor, {
      key: 'ws-scrap',
      name: 'Scrapped idea',
      stages: [{ key: 'apply', name: 'Apply' }],
    });
    await w.page.goto(`${base}/dashboard/edit/journey/ws-scrap`);
    await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('delete-link').click()]);
    await screenshot(w.page, 'delete-confirm');
    expect(await h.services.journeys.repo.getByKey('ws-scrap')).not.toBeNull();
    await Promise.all([w.page.waitForNavigation(), w.page.getByTestId('confirm-delete').click()]);
    expect(await testText(w.page, 'deleted-notice')).toContain('ws-scrap');
    expect(await h.services.journeys.repo.getByKey('ws-scrap')).toBeNull();
  });
});

describe('the workspace in the browser, as a viewer', () => {
  let w: WatchedPage;
  beforeAll(async () => {
    w = await laptopPage(browser);
    await signIn(w, h.keys.viewer, '/dashboard/workspace');
  });

  it('shows the same pages without edit controls', async () => {
    for (const [name, page] of [
      ['viewer-workspace', '/dashboard/workspace'],
      ['viewer-journey-map', `/dashboard/journeys/${JOURNEY}`],
      ['viewer-nudge', `/dashboard/edit/nudge/${NUDGE}`],
      ['viewer-experiment', `/dashboard/edit/experiment/${EXP}`],
    ] as const) {
      const res = await w.page.goto(`${base}${page}`);
      expect(res?.status(), page).toBe(200);
      // The only form that posts is the sign-out form.
      expect(await w.page.locator('form[method="post"]').count(), page).toBe(1);
      expect(
        await w.page
          .locator('[data-testid="save"], [data-testid^="lifecycle-"], a[href^="/dashboard/new/"]')
          .count(),
        page,
      ).toBe(0);
      await screenshot(w.page, name);
    }
    expect(await w.page.locator('[name="name"][readonly]').count()).toBe(1);
  });

  it('is refused on every edit route and nothing changes', async () => {
    await w.page.goto(`${base}/dashboard/workspace`);
    const csrf = await w.page.locator('input[name="csrf"]').first().inputValue();
    const form = { csrf, name: 'Changed by a viewer', action: 'start' };
    for (const url of [
      '/dashboard/edit/journey',
      `/dashboard/edit/journey/${JOURNEY}`,
      `/dashboard/edit/experiment/${EXP}/lifecycle`,
    ]) {
      const res = await w.page.request.post(`${base}${url}`, { form, maxRedirects: 0 });
      expect(res.status(), url).toBe(403);
    }
    const page = await w.page.goto(`${base}/dashboard/new/journey`);
    expect(page?.status()).toBe(403);
    expect((await h.services.journeys.get(JOURNEY)).name).toBe('Savings account');
    expect((await h.services.experiments.get(EXP)).status).toBe('concluded');
  });
});
