import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import { systemActor } from '../../src/domain/roles.js';
import type { Experiment } from '../../src/domain/schemas/experiment.schema.js';
import type { ReadoutResponse } from '../../src/domain/schemas/snapshot.schema.js';
import { experimentBody } from '../../src/http/dashboard/experiment.page.js';
import { relativeLift } from '../../src/stats/format.js';
import { wordingFor } from '../../src/stats/index.js';
import { signedIn } from '../helpers/dashboard-session.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { expectWorded } from '../helpers/page-text.js';
import { buildTemplate } from '../helpers/programme-fixtures.js';
import { normalNormal, referencePooled, referenceShrunk } from '../helpers/random-effects-reference.js';
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
const Z95 = 1.959963984540054;
const PER_ARM = 800;

/** Two arms of PER_ARM customers converting (event `conversion`) at the given rates; then a refresh. */
async function simulate(
  exp: Pick<Experiment, 'id' | 'key' | 'phase'>,
  rates: [number, number],
  seed: number,
  conversion = 'applied',
  arms: [string, string] = ['control', 'treatment'],
): Promise<void> {
  const u = seededRandom(seed);
  const exposures: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  arms.forEach((variant, a) => {
    for (let i = 0; i < PER_ARM; i++) {
      const id = `${exp.key}-${variant}-${i}`;
      exposures.push(exposure(exp, id, variant, hours(0)));
      if (u() < rates[a]!) events.push(event(id, conversion, hours(2)));
    }
  });
  await storeExposures(h.connection, exposures);
  await storeEvents(h.connection, events);
  const res = await h.request().post(`/v1/experiments/${exp.key}/refresh`).set(auth(h.keys.strategist));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function readout(key: string): Promise<ReadoutResponse> {
  const res = await h.request().get(`/v1/experiments/${key}/readout`).set(auth(h.keys.viewer));
  expect(res.status).toBe(200);
  return res.body as ReadoutResponse;
}

/** A variant's relative lift as a normal effect: its mean, and the sd of a normal as wide at 95%. */
function liftOf(view: ReadoutResponse, metric: string, variant: string) {
  const arm = view.latest!.readout!.metrics[metric]!.variants[variant] as {
    relativeLift: { mean: number; ci95: [number, number] };
  };
  const sd = (arm.relativeLift.ci95[1] - arm.relativeLift.ci95[0]) / (2 * Z95);
  return { estimate: arm.relativeLift.mean, variance: sd * sd, sd };
}

const pastRates: [number, number][] = [
  [0.3, 0.31],
  [0.3, 0.33],
  [0.3, 0.3],
  [0.3, 0.34],
  [0.3, 0.32],
  [0.3, 0.35],
];
const pastKeys = pastRates.map((_, i) => `past-frame-${i + 1}`);

const framingVariants = [
  { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Choose a plan.' } },
  { key: 'treatment', name: 'Loss', payload: { frame: 'loss', message: 'Do not lose your rate.' } },
];

beforeAll(async () => {
  h = await createHarness();
  const s = auth(h.keys.strategist);
  const post = (path: string, body: object) => h.request().post(path).set(s).send(body).expect(201);
  await post('/v1/journeys', {
    key: 'home-loan',
    name: 'Home loan',
    stages: [{ key: 'apply', name: 'Apply' }],
  });
  for (const key of ['apply.payment-plan', 'apply.reminder']) {
    await post('/v1/touchpoints', { key, journey: 'home-loan', stage: 'apply', channel: 'web', name: key });
  }
  const nudge = (key: string, type: string, variants: object[]) =>
    post('/v1/nudges', { key, touchpoint: 'apply.payment-plan', type, name: key, principle: 'p', variants });
  await nudge('plan-frame', 'framing', framingVariants);
  await nudge('past-frame', 'framing', framingVariants);
  await nudge('plan-default', 'default', [
    { key: 'control', name: 'Monthly', payload: { option: 'monthly', mode: 'opt-in' } },
    { key: 'treatment', name: 'Fortnightly', payload: { option: 'fortnightly', mode: 'opt-out' } },
  ]);
  // Six concluded framing experiments: the evidence.
  for (const [i, key] of pastKeys.entries()) {
    const exp = await insertExperiment(h.connection, key, {
      nudge: 'past-frame',
      status: 'concluded',
      concludedAt: `2026-0${i + 1}-15T00:00:00.000Z`,
    });
    await simulate(exp, pastRates[i]!, 100 + i);
  }
  // Not evidence: another nudge type, an experiment not concluded, one concluded without a readout.
  await simulate(
    await insertExperiment(h.connection, 'past-default-1', { nudge: 'plan-default', status: 'concluded' }),
    [0.3, 0.45],
    200,
  );
  await simulate(
    await insertExperiment(h.connection, 'stopped-frame', { nudge: 'past-frame', status: 'stopped' }),
    [0.3, 0.6],
    201,
  );
  await insertExperiment(h.connection, 'unread-frame', { nudge: 'past-frame', status: 'concluded' });
}, 180_000);
afterAll(async () => {
  await h.close();
});

describe('priors from past nudges', () => {
  it('when an experiment asks for a prior that does not parse, then the API answers 400 naming the field and stores nothing', async () => {
    const body = {
      key: 'frame-bad',
      name: 'Bad prior',
      nudge: 'plan-frame',
      owner: 'cx',
      hypothesis: 'h',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'treatment', weight: 0.5 },
      ],
      metrics: [{ key: 'applied', kind: 'conversion', role: 'primary', event: 'applied' }],
    };
    for (const [prior, field] of [
      [{ from: 'template', template: 'plan-reminder', relativeLift: 0.05 }, 'prior.sd'],
      [{ from: 'template', template: 'plan-reminder', relativeLift: 0.05, sd: -1 }, 'prior.sd'],
      [{ from: 'past-nudges', minimum: 3 }, 'prior'],
    ] as const) {
      const res = await h
        .request()
        .post('/v1/experiments')
        .set(auth(h.keys.strategist))
        .send({ ...body, prior });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      const paths = (res.body.error.details.fields as { path: string }[]).map((f) => f.path);
      expect(
        paths.some((p) => p.startsWith(field)),
        JSON.stringify(paths),
      ).toBe(true);
    }
    const unknown = await h
      .request()
      .post('/v1/experiments')
      .set(auth(h.keys.strategist))
      .send({ ...body, prior: { from: 'intuition' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error.details.fields)).toContain('prior');
    expect((await h.request().get('/v1/experiments/frame-bad').set(auth(h.keys.viewer))).status).toBe(404);
  });

  it('when six concluded framing experiments measured conversion, then the readout names them and moves the lift toward their pooled effect by the normal-normal amount', async () => {
    const s = auth(h.keys.strategist);
    const created = await h
      .request()
      .post('/v1/experiments')
      .set(s)
      .send({
        key: 'frame-now',
        name: 'Loss frame now',
        nudge: 'plan-frame',
        owner: 'cx',
        hypothesis: 'Loss framing raises applications.',
        control: 'control',
        variants: [
          { key: 'control', weight: 0.5 },
          { key: 'treatment', weight: 0.5 },
        ],
        metrics: [
          { key: 'applied', kind: 'conversion', role: 'primary', event: 'applied' },
          { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', margin: 0.1 },
        ],
        prior: { from: 'past-nudges' },
      });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.prior).toEqual({ from: 'past-nudges' });
    await h.request().post('/v1/experiments/frame-now/start').set(s).send({}).expect(200);
    const exp = (await h.request().get('/v1/experiments/frame-now').set(s)).body as Experiment;
    // A lift far above what framing did before: +33% against the past's +0% to +17%.
    await simulate(exp, [0.3, 0.4], 300);

    const view = await readout('frame-now');
    const prior = view.latest!.evidence!.prior!;
    expect(prior).toMatchObject({
      from: 'past-nudges',
      used: true,
      metric: 'applied',
      scale: 'relative',
      nudgeType: 'framing',
      minExperiments: 5,
    });
    expect(prior.sources.map((x) => x.experiment).sort()).toEqual([...pastKeys].sort());
    const past = [];
    for (const key of pastKeys) {
      const lift = liftOf(await readout(key), 'applied', 'treatment');
      const source = prior.sources.find((x) => x.experiment === key)!;
      expect(source).toMatchObject({ variant: 'treatment', metric: 'applied' });
      expect(source.estimate).toBeCloseTo(lift.estimate, 12);
      expect(source.sd).toBeCloseTo(lift.sd, 12);
      past.push(lift);
    }
    const own = liftOf(view, 'applied', 'treatment');
    const expected = referenceShrunk(past, own.estimate, own.variance);
    const arm = prior.variants.treatment!;
    expect(arm.without.estimate).toBe(own.estimate);
    expect(arm.with.estimate).toBeCloseTo(expected.estimate, 5);
    expect(arm.with.ci95[0]).toBeCloseTo(expected.ci95[0], 4);
    expect(arm.with.ci95[1]).toBeCloseTo(expected.ci95[1], 4);
    expect(arm.moved).toBeCloseTo(expected.estimate - own.estimate, 5);
    // Toward what framing did before, not past it.
    const pooled = referencePooled(past).estimate;
    expect(own.estimate).toBeGreaterThan(pooled);
    expect(arm.moved).toBeLessThan(0);
    expect(arm.with.estimate).toBeGreaterThan(pooled);

    const summary = view.latest!.readout!.decision.summary;
    expect(summary).toContain('Prior from 6 concluded framing experiments on a conversion metric');
    expect(summary).toContain(`is ${relativeLift(arm.with.estimate)} (95% credible interval`);
    expect(summary).toContain(`against ${relativeLift(own.estimate)} from this experiment alone`);

    const page = String(experimentBody(view, { printing: false }));
    expect(page).toContain('data-testid="prior-section" data-used="true"');
    expect(page).toContain(`data-testid="prior-with-treatment">${relativeLift(arm.with.estimate)}<`);
    for (const key of pastKeys) expect(page).toContain(`href="/dashboard/experiments/${key}"`);

    const csv = await h.request().get('/v1/experiments/frame-now/readout.csv').set(auth(h.keys.viewer));
    const rows = parseCsv(csv.text, { columns: true }) as Record<string, string>[];
    const row = rows.find((r) => r.metric === 'applied' && r.variant === 'treatment')!;
    expect(row.prior_used).toBe('true');
    expect(Number(row.lift_with_prior)).toBeCloseTo(arm.with.estimate, 5);
    expect(row.prior_sources!.split(' ').sort()).toEqual([...pastKeys].sort());
    expect(rows.find((r) => r.metric === 'csat')!.prior_from).toBe('');
  });

  it('when fewer concluded experiments of the nudge type exist than the floor, then no prior is used and the readout says why', async () => {
    const exp = await insertExperiment(h.connection, 'default-now', {
      nudge: 'plan-default',
      prior: { from: 'past-nudges' },
    });
    await simulate(exp, [0.3, 0.4], 400);
    const view = await readout('default-now');
    const prior = view.latest!.evidence!.prior!;
    expect(prior).toMatchObject({ used: false, prior: null, variants: {}, nudgeType: 'default' });
    expect(prior.sources.map((x) => x.experiment)).toEqual(['past-default-1']);
    expect(prior.note).toBe(
      'No prior from past nudges: 1 concluded default experiment measured a conversion metric, and at least 5 are needed, so this readout keeps its flat prior.',
    );
    expect(view.latest!.readout!.decision.summary).toContain(prior.note);
    const page = String(experimentBody(view, { printing: true }));
    expect(page).toContain('data-testid="prior-section" data-used="false"');
    expect(page).not.toContain('data-testid="prior-table"');
  });

  // Reads the two experiments the tests above refreshed.
  it('when the readouts are asked for in Russian, then the prior sentences and the prior panel are Russian with the same figures', async () => {
    const en = await readout('frame-now');
    const res = await h.request().get('/v1/experiments/frame-now/readout?lang=ru').set(auth(h.keys.viewer));
    const ru = res.body as ReadoutResponse;
    const arm = en.latest!.evidence!.prior!.variants.treatment!;
    const summary = ru.latest!.readout!.decision.summary;
    const w = wordingFor('ru');
    expect(summary).toContain(
      'Априорная оценка по 6 завершённым экспериментам типа «framing», измерявшим метрику конверсии',
    );
    expect(summary).toContain(`составляет ${relativeLift(arm.with.estimate, w)} (интервал достоверности 95`);
    expect(summary).toContain(`против ${relativeLift(liftOf(en, 'applied', 'treatment').estimate, w)}`);
    expect(summary).not.toMatch(/Prior from|credible interval|this experiment alone/);

    const few = await h.request().get('/v1/experiments/default-now/readout?lang=uk').set(auth(h.keys.viewer));
    expect((few.body as ReadoutResponse).latest!.readout!.decision.summary).toContain(
      'Апріорної оцінки за минулими підказками немає: завершених експериментів типу «default», що вимірювали метрику конверсії, — 1, а потрібно щонайменше 5',
    );

    const { agent } = await signedIn(h.app, h.keys.viewer);
    for (const [lang, words] of [
      ['ru', ['Априорная оценка по прошлым подсказкам', 'Прирост с учётом априорной оценки', 'Сдвиг']],
      ['ro', ['Estimare a priori din nudge-urile anterioare', 'Creștere cu estimarea a priori', 'Deplasare']],
    ] as const) {
      const page = await agent.get(`/dashboard/experiments/frame-now?lang=${lang}`);
      const section = /<section class="prior"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? '';
      expectWorded(section, words, [
        'Prior from',
        'Prior on',
        'Lift with the prior',
        'Moved by',
        'concluded framing experiments',
        'The decision above',
      ]);
      expect(section).toContain(
        `data-testid="prior-with-treatment">${relativeLift(arm.with.estimate, wordingFor(lang))}<`,
      );
    }
  });
});

describe('a prior from a template', () => {
  it('when a template is instantiated with usePrior, then the experiment stores the discounted published effect as its prior and its readout combines it with its own lift', async () => {
    await h.services.templates.create(
      systemActor,
      buildTemplate({
        key: 'plan-reminder',
        fit: { stages: ['apply'], channels: ['web'], where: 'A plan.' },
      }),
    );
    const s = auth(h.keys.strategist);
    const res = await h
      .request()
      .post('/v1/templates/plan-reminder/instantiate')
      .set(s)
      .send({ touchpoint: 'apply.reminder', owner: 'cx', usePrior: true, experimentKey: 'reminder-now' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // The template's arms: 10% without, 12% with the reminder; nudge units see 0.08 / 0.334 of journal effects.
    const published = 0.12 / 0.1 - 1;
    const expected = published * (0.08 / 0.334);
    expect(res.body.experiment.prior).toMatchObject({ from: 'template', template: 'plan-reminder' });
    expect(res.body.experiment.prior.relativeLift).toBeCloseTo(expected, 12);
    expect(res.body.experiment.prior.publishedRelativeLift).toBeCloseTo(published, 12);
    const sd = Math.max(Math.abs(expected), 0.08);
    expect(res.body.experiment.prior.sd).toBeCloseTo(sd, 12);
    const plain = await h
      .request()
      .post('/v1/templates/plan-reminder/instantiate')
      .set(s)
      .send({ touchpoint: 'apply.reminder', owner: 'cx', experimentKey: 'reminder-plain', nudgeKey: 'rp' });
    expect(plain.status).toBe(201);
    expect(plain.body.experiment.prior).toBeUndefined();

    await h.request().post('/v1/experiments/reminder-now/start').set(s).send({}).expect(200);
    const exp = (await h.request().get('/v1/experiments/reminder-now').set(s)).body as Experiment;
    await simulate(exp, [0.1, 0.16], 500, 'application_completed', ['control', 'reminder']);

    const view = await readout('reminder-now');
    const prior = view.latest!.evidence!.prior!;
    expect(prior).toMatchObject({
      from: 'template',
      used: true,
      template: 'plan-reminder',
      metric: 'completed',
    });
    expect(prior.prior!.estimate).toBeCloseTo(expected, 12);
    expect(prior.prior!.sd).toBeCloseTo(sd, 12);
    const own = liftOf(view, 'completed', 'reminder');
    const post = normalNormal(own.estimate, own.variance, expected, sd * sd);
    const arm = prior.variants.reminder!;
    expect(arm.with.estimate).toBeCloseTo(post.estimate, 8);
    expect(arm.with.ci95[0]).toBeCloseTo(post.ci95[0]!, 8);
    expect(arm.with.ci95[1]).toBeCloseTo(post.ci95[1]!, 8);
    expect(arm.moved).toBeCloseTo(post.estimate - own.estimate, 8);
    expect(view.latest!.readout!.decision.summary).toContain(
      `Prior from the template "plan-reminder": ${relativeLift(expected)} (sd ${(sd * 100).toFixed(1)}%), the published ${relativeLift(published)} discounted for publication bias.`,
    );
    const page = String(experimentBody(view, { printing: false }));
    expect(page).toContain('Prior from a template');
    expect(page).toContain(`data-testid="prior-moved-reminder">${relativeLift(arm.moved)}<`);
  });
});
