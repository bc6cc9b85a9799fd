import { parse as parseCsv } from 'csv-parse/sync';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import { createApp } from '../../src/http/app.js';
import type { PdfPrinter } from '../../src/http/dashboard/pdf-printer.js';
import { createLogger } from '../../src/logger.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';

let h: Harness;
/** The app with a printer that, instead of Chromium, opens the page it is given and keeps it. */
let app: ReturnType<typeof createApp>;
const printed: { url: string; page: string }[] = [];

const CYRILLIC = /[\u0400-\u04FF]/;

/** 200 customers per arm, conversions 30 vs 48; a CSAT answer from the first 40 of each arm. */
async function seed(key: string, exposures: [number, number] = [200, 200]) {
  const exp = await insertExperiment(h.connection, key, {
    metrics: [
      {
        key: 'applied',
        name: 'Заявка подана',
        kind: 'conversion',
        role: 'primary',
        event: 'applied',
        windowHours: 24,
        lowerIsBetter: false,
        margin: 0,
      },
      {
        key: 'csat',
        name: 'Оценка сервиса',
        kind: 'mean',
        role: 'guardrail',
        event: 'csat',
        windowHours: 48,
        lowerIsBetter: false,
        margin: 0.1,
      },
    ],
  });
  const docs: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  for (const [variant, count, converts, scores] of [
    ['control', exposures[0], 30, [3, 4]],
    ['treatment', exposures[1], 48, [4, 5]],
  ] as const) {
    for (let i = 0; i < count; i++) {
      const id = `${key}-${variant}-${i}`;
      docs.push(exposure(exp, id, variant, hours(0)));
      if (i < converts) events.push(event(id, 'applied', hours(2)));
      if (i < 40) events.push(event(id, 'csat', hours(3), scores[i % 2]!));
    }
  }
  await storeExposures(h.connection, docs);
  await storeEvents(h.connection, events);
  const refreshed = await h.request().post(`/v1/experiments/${key}/refresh`).set(auth(h.keys.strategist));
  expect(refreshed.status).toBe(200);
}

async function signedIn(): Promise<supertest.Agent> {
  const agent = supertest.agent(app);
  const page = await agent.get('/dashboard/sign-in');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const res = await agent.post('/dashboard/sign-in').type('form').send({ apiKey: h.keys.viewer, csrf });
  expect(res.status).toBe(303);
  return agent;
}

beforeAll(async () => {
  h = await createHarness();
  const pdf: PdfPrinter = {
    async print(url, cookie) {
      const { name, value } = cookie();
      const target = new URL(url);
      const res = await supertest(app)
        .get(`${target.pathname}${target.search}`)
        .set('Cookie', `${name}=${value}`);
      printed.push({ url, page: res.text });
      return Buffer.from('%PDF-1.4 stand-in');
    },
    health: () => ({ ok: true, checked: true }),
    close: async () => undefined,
  };
  app = createApp({
    services: h.services,
    logger: createLogger('silent'),
    bodyLimit: '1mb',
    version: 'test',
    dashboard: { sessionSecret: 'languages-test-session-secret', sessionTtlMinutes: 30, pdf },
  });
  await seed('lang-loan');
}, 120_000);
afterAll(async () => {
  await h.close();
});

describe('the readout API in the reader language', () => {
  it('when lang=ru is asked, then only the sentence is Russian and every machine field is as in English', async () => {
    const en = await h.request().get('/v1/experiments/lang-loan/readout').set(auth(h.keys.viewer));
    const ru = await h.request().get('/v1/experiments/lang-loan/readout?lang=ru').set(auth(h.keys.viewer));
    expect(en.status).toBe(200);
    expect(ru.status).toBe(200);
    expect(en.body.language).toBe('en');
    expect(ru.body.language).toBe('ru');
    expect(ru.headers['content-language']).toBe('ru');

    const summary: string = ru.body.latest.readout.decision.summary;
    expect(summary).toMatch(CYRILLIC);
    expect(summary).toMatch(
      /^treatment: вероятность [\d,]+\u00a0?%, что этот вариант повышает «Заявка подана»/,
    );
    expect(summary).toMatch(/(Продолжайте эксперимент|Внедряйте)/);
    expect(en.body.latest.readout.decision.summary).toMatch(/^treatment: .* chance it raises Заявка подана/);

    // Everything but the sentence is the same data: the same figures, keys and codes.
    const neutral = (body: { latest: { readout: { decision: Record<string, unknown> } } }) => {
      const { summary: _s, ...decision } = body.latest.readout.decision;
      return { ...body.latest, readout: { ...body.latest.readout, decision } };
    };
    expect(neutral(ru.body)).toEqual(neutral(en.body));
    // The history points say their sentence in Russian too; their figures are the English ones.
    type Point = { decision: Record<string, unknown> };
    const figures = (history: Point[]) =>
      history.map(({ decision: { summary: _s, ...decision }, ...point }) => ({ ...point, decision }));
    expect(figures(ru.body.history)).toEqual(figures(en.body.history));
    expect(ru.body.history.length).toBeGreaterThan(0);
    for (const point of ru.body.history as Point[]) expect(point.decision.summary).toMatch(CYRILLIC);
    expect(ru.body.history.at(-1).decision.summary).toBe(summary);
    expect(en.body.history.at(-1).decision.summary).toBe(en.body.latest.readout.decision.summary);
    expect(Object.keys(ru.body.history[0])).not.toContain('summaries');
  });

  it('when Accept-Language prefers Portuguese, then the sentence is Portuguese with decimal commas', async () => {
    const res = await h
      .request()
      .get('/v1/experiments/lang-loan/readout')
      .set(auth(h.keys.viewer))
      .set('Accept-Language', 'de-DE,de;q=0.9,pt-BR;q=0.8,en;q=0.5');
    expect(res.body.language).toBe('pt');
    const summary: string = res.body.latest.readout.decision.summary;
    expect(summary).toContain('de chance de aumentar Заявка подана');
    expect(summary).toMatch(/\d,\d/);
    expect(summary).not.toMatch(/\d\.\d/);
  });

  it('when the language is one Nudgelab does not speak, then the answer is English; a malformed one is a 400 naming lang', async () => {
    const de = await h.request().get('/v1/experiments/lang-loan/readout?lang=de').set(auth(h.keys.viewer));
    expect(de.status).toBe(200);
    expect(de.body.language).toBe('en');
    expect(de.body.latest.readout.decision.summary).toMatch(/chance it raises/);

    const bad = await h
      .request()
      .get('/v1/experiments/lang-loan/readout')
      .query({ lang: '<script>' })
      .set(auth(h.keys.viewer));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(bad.body.error)).toContain('lang');
    expect(bad.body.error.requestId).toBeTruthy();
  });

  it('when the CSV is asked for in Ukrainian, then only its decision sentence changes', async () => {
    const en = await h.request().get('/v1/experiments/lang-loan/readout.csv').set(auth(h.keys.viewer));
    const uk = await h
      .request()
      .get('/v1/experiments/lang-loan/readout.csv?lang=uk')
      .set(auth(h.keys.viewer));
    expect(uk.status).toBe(200);
    const enRows = parseCsv(en.text, { columns: true }) as Record<string, string>[];
    const ukRows = parseCsv(uk.text, { columns: true }) as Record<string, string>[];
    expect(ukRows).toHaveLength(enRows.length);
    expect(uk.text.split('\r\n')[0]).toBe(en.text.split('\r\n')[0]);
    // The evidence columns are figures and codes, the same in every language.
    expect(Object.keys(ukRows[0]!)).toEqual(expect.arrayContaining(['answered_share', 'prior_used']));
    ukRows.forEach((row, i) => {
      const { decision_summary: ukSentence, ...ukRest } = row;
      const { decision_summary: enSentence, ...enRest } = enRows[i]!;
      expect(ukRest).toEqual(enRest);
      expect(ukSentence).toMatch(/імовірність/);
      expect(ukSentence).not.toBe(enSentence);
    });
  });
});

describe('the dashboard in the reader language', () => {
  it('when a page is opened with lang=uk, then its headings are Ukrainian and the page says it is', async () => {
    const agent = await signedIn();
    const page = await agent.get('/dashboard/experiments/lang-loan?lang=uk');
    expect(page.status).toBe(200);
    expect(page.headers['content-language']).toBe('uk');
    expect(page.text).toContain('<html lang="uk">');
    for (const heading of [
      '<h2>Трафік</h2>',
      '<h2>Метрики</h2>',
      '<h2>Захисні метрики</h2>',
      '<h2>Докази в часі ',
    ]) {
      expect(page.text).toContain(heading);
    }
    expect(page.text).toMatch(/data-testid="decision-summary">treatment: імовірність/);
    // The exports carry the language on.
    expect(page.text).toContain('href="/v1/experiments/lang-loan/readout.pdf?lang=uk"');
    expect(page.text).toContain('href="/dashboard/experiments/lang-loan/readout.csv?lang=uk"');

    const journeys = await agent.get('/dashboard?lang=uk');
    expect(journeys.text).toContain('<h1>Шляхи клієнта</h1>');
    expect(journeys.text).toContain('>Портфель</a>');
  });

  it('when Accept-Language asks for Russian, then the page is Russian without any parameter', async () => {
    const agent = await signedIn();
    const page = await agent.get('/dashboard/portfolio').set('Accept-Language', 'ru-RU,ru;q=0.9');
    expect(page.text).toContain('<h1>Портфель</h1>');
    expect(page.text).toContain('<html lang="ru">');
    // The pooled tables name each measure in its own unit, in Russian.
    expect(page.text).toContain('<th>CSAT (средняя оценка, пункты шкалы 1–5)</th><th>NPS (пункты)</th>');
  });

  it('when a language is picked from the links, then it stays for the session until another is picked', async () => {
    const agent = await signedIn();
    const first = await agent.get('/dashboard/portfolio');
    expect(first.text).toContain('<h1>Portfolio</h1>');
    const link = /href="(\/dashboard\/language\?set=ro&amp;next=[^"]+)"/.exec(first.text)?.[1];
    expect(link).toBeDefined();

    const picked = await agent.get(link!.replaceAll('&amp;', '&'));
    expect(picked.status).toBe(303);
    expect(picked.headers.location).toBe('/dashboard/portfolio');
    expect(String(picked.headers['set-cookie'])).toMatch(/nl_lang=ro;.*HttpOnly/);

    const after = await agent.get('/dashboard/portfolio');
    expect(after.text).toContain('<h1>Portofoliu</h1>');
    // An explicit lang still wins over the saved choice, for that page only.
    expect((await agent.get('/dashboard/portfolio?lang=en')).text).toContain('<h1>Portfolio</h1>');
    expect((await agent.get('/dashboard')).text).toContain('<h1>Parcursuri</h1>');

    // The picker never leads off the dashboard.
    const away = await agent.get('/dashboard/language').query({ set: 'uk', next: 'https://example.org/' });
    expect(away.headers.location).toBe('/dashboard');
  });

  it('when the sign-in page is opened in Romanian, then the form speaks Romanian', async () => {
    const res = await supertest(app).get('/dashboard/sign-in?lang=ro');
    expect(res.text).toContain('<h1>Autentificare</h1>');
    expect(res.text).toContain('data-testid="language-picker"');
  });
});

describe('the PDF in the reader language', () => {
  it('when the PDF is asked for, then the page it prints is in the language the caller asked for', async () => {
    printed.length = 0;
    const byParam = await supertest(app)
      .get('/v1/experiments/lang-loan/readout.pdf?lang=uk')
      .set(auth(h.keys.viewer));
    expect(byParam.status).toBe(200);
    expect(byParam.headers['content-language']).toBe('uk');
    const byHeader = await supertest(app)
      .get('/v1/experiments/lang-loan/readout.pdf')
      .set(auth(h.keys.viewer))
      .set('Accept-Language', 'ru');
    expect(byHeader.status).toBe(200);

    expect(printed).toHaveLength(2);
    expect(new URL(printed[0]!.url).searchParams.get('lang')).toBe('uk');
    expect(printed[0]!.page).toContain('<h2>Трафік</h2>');
    expect(printed[0]!.page).toMatch(/data-testid="decision-summary">treatment: імовірність/);
    expect(new URL(printed[1]!.url).searchParams.get('lang')).toBe('ru');
    expect(printed[1]!.page).toContain('<h2>Трафик</h2>');
    expect(printed[1]!.page).toMatch(/data-testid="decision-summary">treatment: вероятность/);
  });
});

describe('alerts in the reader language', () => {
  it('when an alert is listed with lang=ru, then its message is Russian and the English one is kept', async () => {
    // 150 against 250 exposures at 50/50 weights: a sample-ratio mismatch.
    await seed('lang-split', [150, 250]);
    const en = await h.request().get('/v1/alerts?experiment=lang-split').set(auth(h.keys.viewer));
    const ru = await h.request().get('/v1/alerts?experiment=lang-split&lang=ru').set(auth(h.keys.viewer));
    const srmEn = en.body.items.find((a: { kind: string }) => a.kind === 'srm');
    const srmRu = ru.body.items.find((a: { kind: string }) => a.kind === 'srm');
    expect(srmEn.message).toMatch(/traffic split does not match the weights/);
    expect(srmRu.language).toBe('ru');
    expect(srmRu.message).toMatch(/^Experiment lang-split: распределение трафика не соответствует весам/);
    expect(srmRu.messages.uk).toMatch(/розподіл трафіку не відповідає вагам/);
    expect(srmRu.details).toEqual(srmEn.details);
  });
});
