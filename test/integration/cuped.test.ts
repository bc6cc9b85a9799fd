import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentBody as pageBody } from '../../src/http/dashboard/experiment.page.js';
import { signedIn } from '../helpers/dashboard-session.js';
import { seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { expectWorded } from '../helpers/page-text.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * CUPED end to end: a covariate sent with the assignment (prior_spend) for a revenue metric, and
 * the same outcome before exposure for a CSAT mean. The readout's slope, variance reduction and
 * adjusted means are checked against least squares computed here from the simulated raw data.
 */
let h: Harness;
const KEY = 'cuped-test';
const N = 300;

interface Unit {
  variant: string;
  prior: number;
  spend: number;
  before?: number;
  csat?: number;
}
const units = new Map<string, Unit>();

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const mean = (xs: number[]) => sum(xs) / xs.length;
const close = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
const normal = (u: () => number) => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

/** Slope pooled within arms and the share of within-arm variance it removes: plain least squares. */
function leastSquares(arms: { x: number[]; y: number[] }[]) {
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { x, y } of arms) {
    const mx = mean(x);
    const my = mean(y);
    x.forEach((xi, i) => {
      const yi = y[i] ?? 0;
      sxx += (xi - mx) ** 2;
      sxy += (xi - mx) * (yi - my);
      syy += (yi - my) ** 2;
    });
  }
  const theta = sxy / sxx;
  return { theta, reduction: 1 - (syy - theta * sxy) / syy };
}

beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
  const s = auth(h.keys.strategist);
  const created = await h
    .request()
    .post('/v1/experiments')
    .set(s)
    .send({
      key: KEY,
      name: 'CUPED',
      nudge: 'payment-plan-default',
      owner: 'cx',
      hypothesis: 'The default raises spend; prior spend and earlier CSAT explain much of the noise.',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'fortnightly', weight: 0.5 },
      ],
      metrics: [
        { key: 'completed', kind: 'conversion', role: 'primary', event: 'application_completed' },
        { key: 'spend', kind: 'revenue', role: 'secondary', covariate: { attribute: 'prior_spend' } },
        {
          key: 'csat',
          kind: 'mean',
          role: 'guardrail',
          event: 'csat',
          margin: 0.1,
          covariate: { preWindowHours: 720 },
        },
      ],
    });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const past = new Date(Date.now() - 3_600_000).toISOString();
  expect((await h.request().post(`/v1/experiments/${KEY}/start`).set(s)).status).toBe(200);
  await h.services.capture.assignments.refresh();
  const u = seededRandom(515);
  const ids = Array.from({ length: N }, (_, i) => `q${i}`);
  for (const id of ids) {
    const prior = Math.round(Math.exp(3 + 0.8 * normal(u)) * 100) / 100;
    units.set(id, { variant: '', prior, spend: 0 });
  }
  for (let i = 0; i < N; i += 60) {
    const answers = await Promise.all(
      ids.slice(i, i + 60).map((customerId) =>
        h
          .request()
          .post('/v1/assignments')
          .set(auth(h.keys.app))
          .send({
            customerId,
            touchpoint: 'home-loan.apply.payment-plan',
            channel: 'web',
            attributes: { prior_spend: units.get(customerId)!.prior },
          }),
      ),
    );
    answers.forEach((a, j) => {
      units.get(ids[i + j]!)!.variant = a.body.assignments[0].variant;
    });
  }
  await h.services.capture.exposures.flush();
  const now = new Date().toISOString();
  const events: Record<string, unknown>[] = [];
  for (const [id, x] of units) {
    const lift = x.variant === 'control' ? 0 : 4;
    if (u() < 0.7) {
      x.spend = Math.max(0, Math.round((0.6 * x.prior + lift + 6 * normal(u)) * 100) / 100);
      events.push({
        eventId: `${id}-s`,
        customerId: id,
        occurredAt: now,
        type: 'revenue',
        amount: x.spend,
        currency: 'EUR',
      });
    }
    // Satisfaction is a trait: the answer before exposure predicts the one after.
    const trait = 3 + 1.2 * normal(u);
    const answer = (t: number) => Math.min(5, Math.max(1, Math.round(t + 0.6 * normal(u))));
    if (u() < 0.6) {
      x.before = answer(trait);
      events.push({ eventId: `${id}-b`, customerId: id, occurredAt: past, type: 'csat', value: x.before });
    }
    if (u() < 0.8) {
      x.csat = answer(trait + (x.variant === 'control' ? 0 : 0.2));
      events.push({ eventId: `${id}-a`, customerId: id, occurredAt: now, type: 'csat', value: x.csat });
    }
  }
  for (let i = 0; i < events.length; i += 500) {
    const res = await h
      .request()
      .post('/v1/events')
      .set(auth(h.keys.app))
      .send({ events: events.slice(i, i + 500) });
    expect(res.body.rejected).toEqual([]);
  }
  expect((await h.request().post(`/v1/experiments/${KEY}/refresh`).set(s)).status).toBe(200);
}, 180_000);
afterAll(async () => {
  await h.close();
});

const VARIANTS = ['control', 'fortnightly'];
const arm = (v: string) => [...units.values()].filter((x) => x.variant === v);
const readout = async () =>
  (await h.request().get(`/v1/experiments/${KEY}/readout`).set(auth(h.keys.viewer))).body;

describe('CUPED variance reduction', () => {
  it('when prior spend is sent with the assignment, then the readout adjusts spend by the pooled least-squares slope and reports both estimates', async () => {
    const body = await readout();
    const m = body.latest.readout.metrics.spend;
    const arms = VARIANTS.map((v) => ({ x: arm(v).map((x) => x.prior), y: arm(v).map((x) => x.spend) }));
    const ls = leastSquares(arms);
    close(m.cuped.theta, ls.theta, 1e-9);
    close(m.cuped.varianceReduction, ls.reduction, 1e-9);
    expect(m.cuped.varianceReduction).toBeGreaterThan(0.3);
    const all = arms.flatMap((a) => a.x);
    VARIANTS.forEach((v, i) => {
      const a = arms[i]!;
      close(m.cuped.arms[v].unadjusted.estimate, mean(a.y), 1e-9);
      close(m.cuped.arms[v].covariateMean, mean(a.x), 1e-9);
      const adjusted = mean(a.y) - ls.theta * (mean(a.x) - mean(all));
      close(m.cuped.arms[v].adjusted, adjusted, 1e-9);
      close(m.variants[v].estimate, adjusted, 1e-9);
    });
    expect(m.cuped.label).toBe('prior_spend');
    // The adjusted lift's interval is narrower than the unadjusted one by about the variance reduction.
    const adj = m.variants.fortnightly.absoluteLift.ci95;
    const raw = m.cuped.unadjustedLift.fortnightly.ci95;
    const ratio = (adj[1] - adj[0]) / (raw[1] - raw[0]);
    expect(Math.abs(ratio - Math.sqrt(1 - ls.reduction))).toBeLessThan(0.05);
    const page = String(pageBody(body, { printing: false }));
    expect(page).toContain('data-testid="cuped-spend"');
  });

  it.each([
    {
      lang: 'ru',
      words: [
        'С поправкой на prior_spend (CUPED): дисперсия ниже на',
        'Оценка с поправкой',
        'база сравнения',
      ],
      sign: '\u00a0%',
    },
    {
      lang: 'uk',
      words: [
        'З поправкою на prior_spend (CUPED): дисперсія нижча на',
        'Оцінка з поправкою',
        'база порівняння',
      ],
      sign: '%',
    },
  ])(
    'when the experiment page is opened with lang=$lang, then the CUPED panel is in that language with the English variance reduction',
    async ({ lang, words, sign }) => {
      const { agent } = await signedIn(h.app, h.keys.viewer);
      const panel = (text: string) =>
        /<table class="details" data-testid="cuped-spend">[\s\S]*?<\/table>/.exec(text)?.[0] ?? '';
      const en = panel((await agent.get(`/dashboard/experiments/${KEY}?lang=en`)).text);
      const res = await agent.get(`/dashboard/experiments/${KEY}?lang=${lang}`);
      expect(res.status).toBe(200);
      const worded = panel(res.text);
      expectWorded(worded, words, [
        'Adjusted for',
        'lower than without it',
        'Adjusted estimate',
        'Unadjusted',
        'baseline',
        'credible interval',
      ]);
      const [, whole, tenth] = /data-testid="cuped-reduction-spend">(\d+)\.(\d)%</.exec(en) ?? [];
      expect(worded).toContain(`data-testid="cuped-reduction-spend">${whole},${tenth}${sign}<`);
    },
  );

  it('when the covariate is the same survey before exposure, then only answering units count and a unit with no earlier answer has 0', async () => {
    const m = (await readout()).latest.readout.metrics.csat;
    const arms = VARIANTS.map((v) => {
      const answered = arm(v).filter((x) => x.csat !== undefined);
      return { x: answered.map((x) => x.before ?? 0), y: answered.map((x) => x.csat!) };
    });
    const ls = leastSquares(arms);
    close(m.cuped.theta, ls.theta, 1e-9);
    close(m.cuped.varianceReduction, ls.reduction, 1e-9);
    VARIANTS.forEach((v, i) => {
      expect(m.cuped.arms[v].n).toBe(arms[i]!.y.length);
    });
  });

  it('when the sums are rebuilt from the stored exposures and events, then the covariate sums equal the incremental ones', async () => {
    const exp = await h.services.experiments.get(KEY);
    const before = (await h.services.capture.stats.read(exp.id, exp.phase, [])).overall.s;
    expect(
      (await h.request().post(`/v1/experiments/${KEY}/recompute`).set(auth(h.keys.strategist))).status,
    ).toBe(200);
    const after = (await h.services.capture.stats.read(exp.id, exp.phase, [])).overall.s;
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [k, v] of Object.entries(before)) close(after[k]!, v, 1e-12);
    expect(Object.keys(before).filter((k) => /\|(spend|csat)\|cx(x|y)?$/.test(k))).toHaveLength(12);
  });

  it('refuses a covariate on a winsorised revenue metric, naming the field, and stores nothing', async () => {
    const res = await h
      .request()
      .post('/v1/experiments')
      .set(auth(h.keys.strategist))
      .send({
        key: 'cuped-capped',
        name: 'x',
        nudge: 'payment-plan-default',
        owner: 'cx',
        hypothesis: 'A covariate and a cap together are refused.',
        control: 'control',
        variants: [
          { key: 'control', weight: 0.5 },
          { key: 'fortnightly', weight: 0.5 },
        ],
        metrics: [
          { key: 'completed', kind: 'conversion', role: 'primary', event: 'application_completed' },
          {
            key: 'spend',
            kind: 'revenue',
            role: 'secondary',
            winsorize: { percentile: 0.99 },
            covariate: { attribute: 'prior_spend' },
          },
        ],
      });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('metrics[1].covariate');
    expect((await h.request().get('/v1/experiments/cuped-capped').set(auth(h.keys.viewer))).status).toBe(404);
  });
});
