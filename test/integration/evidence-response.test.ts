import { parse as parseCsv } from 'csv-parse/sync';
import jStat from 'jstat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import type { ReadoutResponse } from '../../src/domain/schemas/snapshot.schema.js';
import { experimentBody } from '../../src/http/dashboard/experiment.page.js';
import { signedIn as signedInAs } from '../helpers/dashboard-session.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { expectWorded } from '../helpers/page-text.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';
import { seededRandom } from '../helpers/seeded-random.js';

let h: Harness;

const PER_ARM = 1000;

interface Planted {
  /** Customers per arm who answered each survey, as drawn here. */
  answered: Record<string, { csat: number; nps: number }>;
}

/**
 * 1,000 exposed customers per arm. Each answers the CSAT survey with the arm's chance and the NPS
 * survey with 25% in both arms; a CSAT answer after the 48-hour window does not count.
 */
async function seed(key: string, csatChance: Record<string, number>, seed: number): Promise<Planted> {
  const exp = await insertExperiment(h.connection, key, { nudge: 'plan-frame' });
  const u = seededRandom(seed);
  const exposures: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  const answered: Planted['answered'] = {};
  for (const variant of ['control', 'treatment']) {
    const tally = { csat: 0, nps: 0 };
    for (let i = 0; i < PER_ARM; i++) {
      const id = `${key}-${variant}-${i}`;
      exposures.push(exposure(exp, id, variant, hours(0)));
      if (u() < 0.1) events.push(event(id, 'applied', hours(1)));
      if (u() < csatChance[variant]!) {
        events.push(event(id, 'csat', hours(5), 1 + Math.floor(u() * 5)));
        tally.csat += 1;
      } else if (u() < 0.05) {
        // Outside the window: not an answer to count.
        events.push(event(id, 'csat', hours(72), 5));
      }
      if (u() < 0.25) {
        events.push(event(id, 'nps', hours(6), Math.floor(u() * 11)));
        tally.nps += 1;
      }
    }
    answered[variant] = tally;
  }
  await storeExposures(h.connection, exposures);
  await storeEvents(h.connection, events);
  const refreshed = await h.request().post(`/v1/experiments/${key}/refresh`).set(auth(h.keys.strategist));
  expect(refreshed.status).toBe(200);
  return { answered };
}

/** Pearson's chi-square test of a 2 x 2 table (answered / not, per arm), computed here. */
function chiSquareP(a: number, b: number, n: number): number {
  const p = (a + b) / (2 * n);
  const cells = [
    [a, n * p],
    [n - a, n * (1 - p)],
    [b, n * p],
    [n - b, n * (1 - p)],
  ] as const;
  const x2 = cells.reduce((s, [o, e]) => s + (o - e) ** 2 / e, 0);
  return 1 - jStat.chisquare.cdf(x2, 1);
}

let planted: Planted;
let balanced: Planted;

beforeAll(async () => {
  h = await createHarness();
  const s = auth(h.keys.strategist);
  await h
    .request()
    .post('/v1/journeys')
    .set(s)
    .send({ key: 'home-loan', name: 'Home loan', stages: [{ key: 'apply', name: 'Apply' }] })
    .expect(201);
  await h
    .request()
    .post('/v1/touchpoints')
    .set(s)
    .send({ key: 'apply.payment-plan', journey: 'home-loan', stage: 'apply', channel: 'web', name: 'Plan' })
    .expect(201);
  await h
    .request()
    .post('/v1/nudges')
    .set(s)
    .send({
      key: 'plan-frame',
      touchpoint: 'apply.payment-plan',
      type: 'framing',
      name: 'Plan framing',
      principle: 'loss aversion',
      variants: [
        { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Choose a plan.' } },
        { key: 'treatment', name: 'Loss', payload: { frame: 'loss', message: 'Do not lose your rate.' } },
      ],
    })
    .expect(201);
  planted = await seed('survey-planted', { control: 0.3, treatment: 0.18 }, 41);
  balanced = await seed('survey-balanced', { control: 0.25, treatment: 0.25 }, 42);
}, 120_000);
afterAll(async () => {
  await h.close();
});

async function readout(key: string): Promise<ReadoutResponse> {
  const res = await h.request().get(`/v1/experiments/${key}/readout`).set(auth(h.keys.viewer));
  expect(res.status).toBe(200);
  return res.body as ReadoutResponse;
}

describe('survey response bias', () => {
  it("when one arm's share of answers to CSAT is planted lower, then the readout flags CSAT with the answered and exposed counts and the chi-square p-value, and its decision sentence says so", async () => {
    const view = await readout('survey-planted');
    const bias = view.latest!.evidence!.responseBias!;
    // Conversion and revenue sums count every exposed customer: nothing to check there.
    expect(Object.keys(bias).sort()).toEqual(['csat', 'nps']);
    const csat = bias.csat!;
    for (const v of ['control', 'treatment']) {
      expect(csat.arms[v]).toEqual({
        exposed: PER_ARM,
        answered: planted.answered[v]!.csat,
        share: planted.answered[v]!.csat / PER_ARM,
      });
    }
    const p = chiSquareP(planted.answered.control!.csat, planted.answered.treatment!.csat, PER_ARM);
    expect(p).toBeLessThan(0.001);
    expect(csat.pValue).toBeCloseTo(p, 10);
    expect(csat).toMatchObject({ df: 1, threshold: 0.001, flagged: true, metric: 'csat' });
    expect(bias.nps!.flagged).toBe(false);
    expect(bias.nps!.arms.treatment!.answered).toBe(planted.answered.treatment!.nps);
    expect(bias.nps!.pValue).toBeCloseTo(
      chiSquareP(planted.answered.control!.nps, planted.answered.treatment!.nps, PER_ARM),
      10,
    );
    const summary = view.latest!.readout!.decision.summary;
    expect(summary).toContain('Survey response differs between arms on csat');
    expect(summary).toContain(`Neutral ${(planted.answered.control!.csat / 10).toFixed(1)}%`);
    expect(summary).not.toContain('on nps');
    // The history point carries the same sentence.
    expect(view.history.at(-1)!.decision.summary).toBe(summary);
  });

  it('when the readout and its CSV are asked for in Russian, then the engine sentence and the survey warning are both Russian', async () => {
    const en = await readout('survey-planted');
    const res = await h
      .request()
      .get('/v1/experiments/survey-planted/readout?lang=ru')
      .set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    const ru = res.body as ReadoutResponse & { language: string };
    expect(ru.language).toBe('ru');
    const summary = ru.latest!.readout!.decision.summary;
    expect(summary).toMatch(/[\u0400-\u04FF]/);
    expect(summary).not.toBe(en.latest!.readout!.decision.summary);
    // The warning about who answered is there, in Russian, with the shares in Russian digits.
    expect(summary).toContain('Доля ответивших на опрос по метрике «csat» различается между группами');
    const share = (answered: number) => `${(answered / 10).toFixed(1).replace('.', ',')}\u00a0%`;
    expect(summary).toContain(`Neutral ${share(planted.answered.control!.csat)}`);
    expect(summary).toContain(`Loss ${share(planted.answered.treatment!.csat)}`);
    expect(summary).not.toContain('Survey response');
    expect(summary).not.toContain('who answered');
    // The history point was worded in Russian when it was stored, evidence sentences and all.
    expect(ru.history.at(-1)!.decision.summary).toBe(summary);
    const csv = await h
      .request()
      .get('/v1/experiments/survey-planted/readout.csv?lang=ru')
      .set(auth(h.keys.viewer));
    const rows = parseCsv(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows[0]!.decision_summary).toBe(summary);
    expect(rows.find((r) => r.metric === 'csat' && r.variant === 'treatment')!.response_bias_flagged).toBe(
      'true',
    );
  });

  it('when the readout is asked for in Portuguese through Accept-Language, then the survey warning is Portuguese', async () => {
    const res = await h
      .request()
      .get('/v1/experiments/survey-planted/readout')
      .set('Accept-Language', 'pt-BR,pt;q=0.9')
      .set(auth(h.keys.viewer));
    expect(res.body.language).toBe('pt');
    const summary = (res.body as ReadoutResponse).latest!.readout!.decision.summary;
    expect(summary).toContain('A taxa de resposta à pesquisa difere entre os grupos em csat');
    expect(summary).toContain(
      `Neutral ${(planted.answered.control!.csat / 10).toFixed(1).replace('.', ',')}%`,
    );
    expect(summary).not.toContain('Survey response');
  });

  it('when every arm answers with the same chance, then no survey metric is flagged and the decision sentence says nothing of response', async () => {
    const view = await readout('survey-balanced');
    const bias = view.latest!.evidence!.responseBias!;
    const p = chiSquareP(balanced.answered.control!.csat, balanced.answered.treatment!.csat, PER_ARM);
    expect(p).toBeGreaterThan(0.001);
    expect(bias.csat!.pValue).toBeCloseTo(p, 10);
    expect(bias.csat!.flagged).toBe(false);
    expect(bias.nps!.flagged).toBe(false);
    expect(view.latest!.readout!.decision.summary).not.toContain('Survey response');
  });

  it('when the readout is exported, then the CSV carries the share who answered, the p-value and the flag on the survey rows only', async () => {
    const res = await h.request().get('/v1/experiments/survey-planted/readout.csv').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
    const csat = rows.find((r) => r.metric === 'csat' && r.variant === 'treatment')!;
    expect(csat.response_bias_flagged).toBe('true');
    expect(Number(csat.answered_share)).toBeCloseTo(planted.answered.treatment!.csat / PER_ARM, 6);
    expect(Number(csat.response_bias_p)).toBeGreaterThan(0);
    const nps = rows.find((r) => r.metric === 'nps' && r.variant === 'control')!;
    expect(nps.response_bias_flagged).toBe('false');
    const applied = rows.find((r) => r.metric === 'applied' && r.variant === 'treatment')!;
    expect([applied.answered_share, applied.response_bias_flagged]).toEqual(['', '']);
  });

  it.each([
    {
      lang: 'ru',
      words: ['Ответы на опросы', 'Доля ответивших', 'Во всех группах отвечали одинаково', 'Увидели'],
    },
    {
      lang: 'uk',
      words: ['Відповіді на опитування', 'Частка тих, хто відповів', 'У всіх групах відповідали однаково'],
    },
  ])(
    'when the experiment page is opened with lang=$lang, then its survey response section is in that language and no English sentence of it remains',
    async ({ lang, words }) => {
      const { agent } = await signedInAs(h.app, h.keys.viewer);
      const res = await agent.get(`/dashboard/experiments/survey-planted?lang=${lang}`);
      expect(res.status).toBe(200);
      const section = /<section class="response"[\s\S]*?<\/section>/.exec(res.text)?.[0] ?? '';
      expectWorded(section, words, [
        'Survey response',
        'A nudge can change who answers',
        'Answered alike across arms',
        'Share who answered',
        'Exposed',
      ]);
      const decision = /data-testid="decision-summary">([^<]*)</.exec(res.text)?.[1] ?? '';
      expect(decision).not.toContain('Survey response differs');
      expect(decision).toMatch(/[\u0400-\u04FF]/);
    },
  );

  it('when the experiment page is drawn from the readout, then it shows each survey metric with who answered per arm and marks the flagged one', async () => {
    const page = String(experimentBody(await readout('survey-planted'), { printing: false }));
    expect(page).toContain('data-testid="response-bias-csat" data-flagged="true"');
    expect(page).toContain('data-testid="response-bias-nps" data-flagged="false"');
    expect(page).toContain(`data-testid="answered-csat-treatment">${planted.answered.treatment!.csat}<`);
    const quiet = String(experimentBody(await readout('survey-balanced'), { printing: true }));
    expect(quiet).toContain('data-testid="response-bias-csat" data-flagged="false"');
    expect(quiet).not.toContain('data-flagged="true"');
  });
});
