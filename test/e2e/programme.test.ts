import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoldoutReadout } from '../../src/domain/holdouts/holdout-readout.js';
import { systemActor } from '../../src/domain/roles.js';
import type { TemplateView } from '../../src/domain/schemas/template.schema.js';
import { createApp } from '../../src/http/app.js';
import { chance, count } from '../../src/http/dashboard/format.js';
import { createLogger } from '../../src/logger.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { buildFatiguePolicy, buildHoldout, buildTemplate } from '../helpers/programme-fixtures.js';
import { laptopPage, launchBrowser, screenshot, testText, type WatchedPage } from './support/browser.js';

let h: Harness;
let server: Server;
let base = '';
let browser: Browser;

const JOURNEY = 'pg-loans';
const WEB = 'pg-loans.apply.offer';
const SMS = 'pg-loans.apply.reminder';
const HOLDOUT = 'pg-holdout';
/** What the app was answered, tallied here: customers nudged on each touchpoint. */
const nudged = { web: new Set<string>(), sms: new Set<string>() };

async function call(method: string, path: string, key: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function seed(): Promise<void> {
  const s = h.keys.strategist;
  await call('POST', '/v1/journeys', s, {
    key: JOURNEY,
    name: 'Personal loan',
    stages: [
      { key: 'consider', name: 'Consider' },
      { key: 'apply', name: 'Apply' },
    ],
  });
  for (const [key, channel, name] of [
    [WEB, 'web', 'Loan offer'],
    [SMS, 'sms', 'Application reminder'],
  ] as const) {
    await call('POST', '/v1/touchpoints', s, { key, journey: JOURNEY, stage: 'apply', channel, name });
    const nudge = `${key.split('.').pop()}-frame`;
    await call('POST', '/v1/nudges', s, {
      key: nudge,
      touchpoint: key,
      type: 'framing',
      name: `${name} wording`,
      principle: 'Loss aversion',
      variants: [
        { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Apply now.' } },
        { key: 'loss', name: 'Loss', payload: { frame: 'loss', message: 'Do not miss your rate.' } },
      ],
    });
    await call('POST', '/v1/experiments', s, {
      key: `${nudge}-test`,
      name: `${name} loss frame`,
      nudge,
      owner: 'pg',
      hypothesis: 'Loss framing raises applications.',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'loss', weight: 0.5 },
      ],
      metrics: [{ key: 'applied', kind: 'conversion', role: 'primary', event: 'applied' }],
    });
    await call('POST', `/v1/experiments/${nudge}-test/start`, s);
  }
  await call('POST', '/v1/holdouts', s, buildHoldout({ key: HOLDOUT, journey: JOURNEY, share: 0.2 }));
  await call('POST', `/v1/holdouts/${HOLDOUT}/start`, s);
  await call('POST', '/v1/holdouts', s, buildHoldout({ key: 'pg-global-draft', share: 0.05 }));
  await call(
    'POST',
    '/v1/fatigue-policies',
    s,
    buildFatiguePolicy({ key: 'pg-cap', journey: JOURNEY, maxContacts: 2, windowDays: 7 }),
  );
  for (const t of [
    buildTemplate({ key: 'pg-reminder' }),
    buildTemplate({
      key: 'pg-frame',
      name: 'Loss-framed offer',
      type: 'framing',
      fit: { stages: ['consider'], channels: ['email'], where: 'An offer e-mail.' },
      nudge: {
        variants: [
          { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Our offer.' } },
          { key: 'loss', name: 'Loss', payload: { frame: 'loss', message: 'Do not lose the offer.' } },
        ],
      },
    }),
  ]) {
    await h.services.templates.create(systemActor, t);
  }
  await h.services.capture.assignments.refresh();
  // Every customer reaches the web offer; the first half also gets the SMS reminder, which is the
  // second contact of the week and so brings them to the cap of 2.
  for (let i = 0; i < 160; i++) {
    const id = `pg-c${i}`;
    const stops = i < 80 ? ([WEB, SMS] as const) : ([WEB] as const);
    for (const tp of stops) {
      const res = (await call('POST', '/v1/assignments', h.keys.app, {
        customerId: id,
        touchpoint: tp,
        channel: tp === WEB ? 'web' : 'sms',
      })) as { assignments: { inExperiment: boolean }[] };
      if (res.assignments[0]?.inExperiment) nudged[tp === WEB ? 'web' : 'sms'].add(id);
    }
    if (i % 4 === 0) {
      await call('POST', '/v1/events', h.keys.app, {
        eventId: `pg-e${i}`,
        customerId: id,
        type: 'conversion',
        name: 'applied',
        occurredAt: new Date().toISOString(),
      });
    }
  }
  await h.services.capture.exposures.flush();
  await h.services.capture.fatigue.flush();
}

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
  await seed();
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

async function navigate(w: WatchedPage, click: () => Promise<void>): Promise<number | undefined> {
  const [response] = await Promise.all([w.page.waitForNavigation(), click()]);
  return response?.status();
}

describe('the programme on the dashboard, as a viewer', () => {
  let w: WatchedPage;
  beforeAll(async () => {
    w = await laptopPage(browser);
    await signIn(w, h.keys.viewer, `/dashboard/journeys/${JOURNEY}`);
  });

  it('when a holdout runs on a journey, then the map shows its share, status and coverage, marks each touchpoint, and links to its readout figures', async () => {
    expect(w.page.url()).toBe(`${base}/dashboard/journeys/${JOURNEY}`);
    expect(await testText(w.page, `holdout-${HOLDOUT}-share`)).toBe('20%');
    expect(await testText(w.page, `holdout-${HOLDOUT}-status`)).toBe('running');
    expect(await testText(w.page, `holdout-${HOLDOUT}-covers`)).toBe('Every touchpoint of this journey (2)');
    // A draft holdout is not on the map yet.
    expect(await w.page.getByTestId('holdout-pg-global-draft').count()).toBe(0);
    for (const tp of [WEB, SMS])
      expect(await testText(w.page, `tp-${tp}-holdouts`)).toBe(`Holdout ${HOLDOUT} · 20%`);
    await screenshot(w.page, 'programme-journey-holdouts');

    const status = await navigate(w, () => w.page.getByTestId(`holdout-${HOLDOUT}-link`).click());
    expect(status).toBe(200);
    expect(w.page.url()).toBe(`${base}/dashboard/holdouts/${HOLDOUT}`);
    const api = (await call('GET', `/v1/holdouts/${HOLDOUT}/readout`, h.keys.viewer)) as HoldoutReadout;
    expect(await testText(w.page, 'holdout-exposed-holdout')).toBe(count(api.exposures.holdout ?? 0));
    expect(await testText(w.page, 'holdout-exposed-nudged')).toBe(count(api.exposures.nudged ?? 0));
    const nudgedArm = api.readout.metrics.conv?.variants.nudged as { chanceToBeatControl: number };
    expect(await testText(w.page, 'holdout-metric-conv-chance')).toBe(chance(nudgedArm.chanceToBeatControl));
    for (const sentence of api.summary) expect(await testText(w.page, 'holdout-summary')).toContain(sentence);
    await screenshot(w.page, 'programme-holdout-readout');
    expect(w.problems).toEqual([]);
  });

  it('when customers reach the fatigue cap, then the portfolio shows the share at the cap per journey and channel', async () => {
    await w.page.goto(`${base}/dashboard/portfolio`);
    // Expected from the answers the app got: web customers at the cap are those also nudged by SMS.
    const atCapOnWeb = [...nudged.web].filter((id) => nudged.sms.has(id)).length;
    expect(nudged.web.size).toBeGreaterThan(100);
    expect(await testText(w.page, `fatigue-share-${JOURNEY}-web`)).toBe(chance(atCapOnWeb / nudged.web.size));
    expect(await testText(w.page, `fatigue-share-${JOURNEY}-sms`)).toBe(chance(1));
    const cells = await w.page.locator(`[data-testid="fatigue-row-${JOURNEY}-web"] td`).allTextContents();
    expect(cells.slice(2, 4)).toEqual([count(nudged.web.size), count(atCapOnWeb)]);
    expect(await testText(w.page, 'fatigue-basis')).toContain(
      `every customer with counted contacts (${nudged.web.size})`,
    );
    await screenshot(w.page, 'programme-portfolio-fatigue');
    expect(w.problems).toEqual([]);
  });

  it('when the catalogue is filtered by type, then it lists the templates the API lists, with grade and citation, and offers a viewer no button', async () => {
    await w.page.goto(`${base}/dashboard/templates`);
    const all = ((await call('GET', '/v1/templates', h.keys.viewer)) as { items: TemplateView[] }).items;
    expect(await testText(w.page, 'template-count')).toBe(`${all.length} of ${all.length} templates`);
    for (const t of all) {
      expect(await testText(w.page, `tpl-${t.key}-grade`)).toBe(`Evidence ${t.grade.grade}`);
      expect(await testText(w.page, `tpl-${t.key}-citation`)).toContain(t.evidence.citation);
    }
    expect(await w.page.locator('form.instantiate').count()).toBe(0);
    await screenshot(w.page, 'programme-templates-viewer');

    await w.page.getByTestId('filter-type').selectOption('framing');
    await navigate(w, () => w.page.getByTestId('filter-apply').click());
    expect(new URL(w.page.url()).searchParams.get('type')).toBe('framing');
    const framing = (
      (await call('GET', '/v1/templates?type=framing', h.keys.viewer)) as { items: TemplateView[] }
    ).items;
    expect(await testText(w.page, 'template-count')).toBe(`${framing.length} of ${all.length} templates`);
    expect(await w.page.locator('article.template').count()).toBe(framing.length);
    expect(await w.page.getByTestId('tpl-pg-frame').count()).toBe(1);
    await screenshot(w.page, 'programme-templates-filtered');
    expect(w.problems).toEqual([]);
  });
});

describe('the template catalogue, as a strategist', () => {
  let w: WatchedPage;
  beforeAll(async () => {
    w = await laptopPage(browser);
    await signIn(w, h.keys.strategist, '/dashboard/templates?channel=sms');
  });

  it('when a strategist creates a draft from a template on a touchpoint, then the draft experiment opens and exists through the API; a second one is refused on the page', async () => {
    expect(await testText(w.page, 'template-count')).toBe('1 of 2 templates');
    const form = w.page.getByTestId('instantiate-pg-reminder');
    await form.getByTestId('instantiate-pg-reminder-touchpoint').selectOption(SMS);
    await form.getByTestId('instantiate-pg-reminder-owner').fill('loans-cx');
    const status = await navigate(w, () => form.getByTestId('instantiate-pg-reminder-submit').click());
    expect(status).toBe(200);
    const key = `pg-reminder-${SMS}-test`;
    expect(w.page.url()).toBe(`${base}/dashboard/edit/experiment/${encodeURIComponent(key)}`);
    const exp = (await call('GET', `/v1/experiments/${key}`, h.keys.viewer)) as {
      status: string;
      owner: string;
      nudge: string;
    };
    expect(exp).toMatchObject({ status: 'draft', owner: 'loans-cx', nudge: `pg-reminder-${SMS}` });
    await screenshot(w.page, 'programme-template-draft');

    await w.page.goto(`${base}/dashboard/templates`);
    const again = w.page.getByTestId('instantiate-pg-reminder');
    await again.getByTestId('instantiate-pg-reminder-touchpoint').selectOption(SMS);
    await again.getByTestId('instantiate-pg-reminder-owner').fill('loans-cx');
    expect(await navigate(w, () => again.getByTestId('instantiate-pg-reminder-submit').click())).toBe(409);
    expect(await testText(w.page, 'instantiate-error')).toContain('was not instantiated');
    await screenshot(w.page, 'programme-template-conflict');
    // The refused page load is the one expected failure the browser reports.
    expect(w.problems.filter((p) => !p.includes('409'))).toEqual([]);
  });
});
