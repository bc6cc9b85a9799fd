import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentBody as pageBody } from '../../src/http/dashboard/experiment.page.js';
import { signedIn } from '../helpers/dashboard-session.js';
import { seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { expectWorded } from '../helpers/page-text.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * The ratio, ordinal and revenue kinds end to end: an experiment created over HTTP, customers
 * assigned and their events posted over HTTP, a refresh, then the readout JSON, the CSV and the
 * page, every figure checked against plain arithmetic on the simulated raw data in this file.
 */
let h: Harness;
const KEY = 'service-load-test';
const N = 360;
const Z975 = 1.959963984540054;

interface Unit {
  variant: string;
  orders: number;
  contacts: number;
  csat?: number;
  spend: number[];
}
const units = new Map<string, Unit>();

const metrics = [
  { key: 'completed', kind: 'conversion', role: 'primary', event: 'application_completed' },
  {
    key: 'contacts-per-order',
    kind: 'ratio',
    role: 'guardrail',
    event: 'support_contact',
    denominator: { event: 'order' },
    lowerIsBetter: true,
  },
  { key: 'csat-dist', kind: 'ordinal', role: 'secondary', event: 'csat', scale: { min: 1, max: 5 } },
  { key: 'csat-score', kind: 'ordinal', role: 'secondary', event: 'csat', summary: 'mean' },
  { key: 'spend', kind: 'revenue', role: 'secondary', winsorize: { percentile: 0.9 } },
  { key: 'spend-split', kind: 'revenue', role: 'secondary', split: true },
];

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const mean = (xs: number[]) => sum(xs) / xs.length;
/** Two-pass sample variance and covariance (n - 1). */
const cov = (xs: number[], ys: number[]) => {
  const mx = mean(xs);
  const my = mean(ys);
  return sum(xs.map((x, i) => (x - mx) * ((ys[i] ?? 0) - my))) / (xs.length - 1);
};
const close = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));

function poisson(u: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = u(); p > limit; p *= u()) k++;
  return k;
}
const normal = (u: () => number) => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

async function simulate() {
  const s = auth(h.keys.strategist);
  const created = await h
    .request()
    .post('/v1/experiments')
    .set(s)
    .send({
      key: KEY,
      name: 'Service load',
      nudge: 'payment-plan-default',
      owner: 'cx',
      hypothesis: 'The default lowers contacts per order without hurting CSAT.',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'fortnightly', weight: 0.5 },
      ],
      metrics,
    });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await h.request().post(`/v1/experiments/${KEY}/start`).set(s)).status).toBe(200);
  await h.services.capture.assignments.refresh();
  const ids = Array.from({ length: N }, (_, i) => `k${i}`);
  for (let i = 0; i < N; i += 60) {
    const answers = await Promise.all(
      ids
        .slice(i, i + 60)
        .map((customerId) =>
          h
            .request()
            .post('/v1/assignments')
            .set(auth(h.keys.app))
            .send({ customerId, touchpoint: 'home-loan.apply.payment-plan', channel: 'web' }),
        ),
    );
    answers.forEach((a, j) => {
      const variant = a.body.assignments[0].variant as string;
      units.set(ids[i + j]!, { variant, orders: 0, contacts: 0, spend: [] });
    });
  }
  await h.services.capture.exposures.flush();
  const u = seededRandom(20261201);
  const at = new Date().toISOString();
  const events: Record<string, unknown>[] = [];
  const add = (customerId: string, id: string, e: Record<string, unknown>) =>
    events.push({ eventId: `${customerId}-${id}`, customerId, occurredAt: at, ...e });
  for (const [id, unit] of units) {
    const treated = unit.variant !== 'control';
    unit.orders = poisson(u, 1.3);
    for (let t = 0; t <= unit.orders; t++) if (u() < (treated ? 0.22 : 0.32)) unit.contacts++;
    for (let t = 0; t < unit.orders; t++) add(id, `o${t}`, { type: 'conversion', name: 'order' });
    for (let t = 0; t < unit.contacts; t++) add(id, `c${t}`, { type: 'conversion', name: 'support_contact' });
    if (u() < 0.3) add(id, 'done', { type: 'conversion', name: 'application_completed' });
    if (u() < 0.7) {
      const r = u() + (treated ? 0.05 : 0);
      unit.csat = r < 0.08 ? 1 : r < 0.18 ? 2 : r < 0.4 ? 3 : r < 0.75 ? 4 : 5;
      add(id, 'csat', { type: 'csat', value: unit.csat });
    }
    if (u() < 0.25) {
      // Heavy-tailed spend, in two purchases.
      const total = Math.round(Math.exp(3 + 1.3 * normal(u)) * 100) / 100;
      unit.spend = [Math.round(total * 60) / 100, Math.round(total * 40) / 100];
    }
    if (id === 'k0') unit.spend = [20, -20]; // a purchase refunded: spend 0, not a spender
    unit.spend.forEach((amount, t) => {
      add(id, `s${t}`, { type: 'revenue', amount, currency: 'EUR' });
    });
  }
  for (let i = 0; i < events.length; i += 500) {
    const res = await h
      .request()
      .post('/v1/events')
      .set(auth(h.keys.app))
      .send({ events: events.slice(i, i + 500) });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([]);
  }
  const refresh = await h.request().post(`/v1/experiments/${KEY}/refresh`).set(s);
  expect(refresh.status, JSON.stringify(refresh.body)).toBe(200);
}

let readout: ReturnType<typeof JSON.parse>;
const arm = (variant: string) => [...units.values()].filter((x) => x.variant === variant);
const VARIANTS = ['control', 'fortnightly'];

beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
  await simulate();
  readout = (await h.request().get(`/v1/experiments/${KEY}/readout`).set(auth(h.keys.viewer))).body;
}, 180_000);
afterAll(async () => {
  await h.close();
});

describe('ratio, ordinal and revenue metrics from the API to the readout', () => {
  it('when contacts and orders are posted, then the ratio of means and its delta-method interval match plain arithmetic per arm', () => {
    const m = readout.latest.readout.metrics['contacts-per-order'];
    expect(m.kind).toBe('ratio');
    for (const v of VARIANTS) {
      const xs = arm(v).map((x) => x.contacts);
      const ys = arm(v).map((x) => x.orders);
      const r = sum(xs) / sum(ys);
      const my = mean(ys);
      const variance = (cov(xs, xs) - 2 * r * cov(xs, ys) + r * r * cov(ys, ys)) / (my * my * xs.length);
      const c = readout.latest.counts.metrics['contacts-per-order'].variants[v];
      expect([c.n, c.numerator, c.denominator]).toEqual([xs.length, sum(xs), sum(ys)]);
      const a = m.variants[v];
      close(a.estimate, r, 1e-12);
      close(a.ci95[0], r - Z975 * Math.sqrt(variance), 1e-7);
      close(a.ci95[1], r + Z975 * Math.sqrt(variance), 1e-7);
    }
  });

  it('when CSAT answers are posted, then each point is counted and the top-2-box and mean-score posteriors are the Dirichlet ones', () => {
    for (const v of VARIANTS) {
      const answers = arm(v).flatMap((x) => (x.csat === undefined ? [] : [x.csat]));
      const counts = [1, 2, 3, 4, 5].map((p) => answers.filter((a) => a === p).length);
      expect(readout.latest.counts.metrics['csat-dist'].variants[v]).toEqual({
        n: answers.length,
        categories: counts,
      });
      const top = (counts[3] ?? 0) + (counts[4] ?? 0);
      const dist = readout.latest.readout.metrics['csat-dist'];
      // Flat Dirichlet(1, ..., 1): the top-2 share is Beta(2 + top, 3 + rest), mean (2 + top) / (n + 5).
      close(dist.variants[v].estimate, (2 + top) / (answers.length + 5), 1e-12);
      close(
        dist.ordinal.arms[v].mean.estimate,
        sum(counts.map((c, j) => (c + 1) * (j + 1))) / (answers.length + 5),
        1e-12,
      );
      expect(dist.ordinal.arms[v].shares.map((s: { count: number }) => s.count)).toEqual(counts);
      close(
        readout.latest.readout.metrics['csat-score'].variants[v].estimate,
        dist.ordinal.arms[v].mean.estimate,
        1e-12,
      );
    }
    expect(readout.latest.readout.metrics['csat-dist']).toMatchObject({ summary: 'top2', unit: 'rate' });
  });

  it('when spend is winsorised at the 90th percentile, then the cap is the pooled percentile rounded up to the grid and the capped means match', () => {
    // The documented rule: pooled positive amounts, buckets of 2^(1/4), the upper edge of the bucket holding the percentile.
    const totals = [...units.values()].map((x) => sum(x.spend));
    const positive = totals.filter((t) => t > 0).sort((a, b) => a - b);
    const bucket = (x: number) => Math.floor(Math.log2(x) * 4);
    const at = positive[Math.ceil(0.9 * positive.length) - 1]!;
    const cap = 2 ** ((bucket(at) + 1) / 4);
    const w = readout.latest.counts.metrics.spend;
    close(w.winsorized.cap, cap, 1e-12);
    expect(positive.filter((t) => t >= cap).length / positive.length).toBeLessThanOrEqual(0.1);
    for (const v of VARIANTS) {
      const capped = arm(v).map((x) => Math.min(sum(x.spend), cap));
      const c = w.variants[v];
      expect(c.cappedUnits).toBe(arm(v).filter((x) => sum(x.spend) > cap).length);
      expect(c.nonZero).toBe(arm(v).filter((x) => sum(x.spend) !== 0).length);
      close(c.mean, mean(capped), 1e-9);
      close(c.variance, cov(capped, capped), 1e-9);
      close(readout.latest.readout.metrics.spend.variants[v].estimate, mean(capped), 1e-9);
    }
  });

  it('when spend is split, then the estimate is the share not at 0 times the mean of those amounts', () => {
    const m = readout.latest.readout.metrics['spend-split'];
    for (const v of VARIANTS) {
      const totals = arm(v).map((x) => sum(x.spend));
      const nonZero = totals.filter((t) => t !== 0);
      const share = (1 + nonZero.length) / (2 + totals.length);
      close(m.twoPart.arms[v].share.estimate, share, 1e-12);
      close(m.twoPart.arms[v].perNonZero.estimate, mean(nonZero), 1e-9);
      close(m.variants[v].estimate, share * mean(nonZero), 1e-9);
    }
    expect(m).toMatchObject({ kind: 'revenue', unit: 'amount' });
  });

  it('exports the kinds in the CSV and shows them on the experiment page', async () => {
    const res = await h.request().get(`/v1/experiments/${KEY}/readout.csv`).set(auth(h.keys.viewer));
    const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
    const row = (metric: string, v: string) => rows.find((r) => r.metric === metric && r.variant === v)!;
    const counts = readout.latest.counts.metrics;
    for (const v of VARIANTS) {
      expect(row('contacts-per-order', v).numerator).toBe(
        String(counts['contacts-per-order'].variants[v].numerator),
      );
      expect(row('csat-dist', v).categories).toBe(counts['csat-dist'].variants[v].categories.join(';'));
      // Six significant digits in the CSV.
      close(Number(row('spend', v).cap), counts.spend.winsorized.cap, 1e-5);
      expect(row('spend-split', v).kind).toBe('revenue');
    }
    const page = String(pageBody(readout, { printing: false }));
    for (const id of [
      'distribution-csat-dist',
      'two-part-spend-split',
      'winsorized-spend',
      'metric-contacts-per-order',
    ])
      expect(page).toContain(`data-testid="${id}"`);
  });

  it.each([
    {
      lang: 'ru',
      words: [
        'Ответы по баллам',
        'Средний балл',
        'Двухчастная модель',
        'Единицы с ненулевой суммой',
        'Суммы выше',
      ],
      decimal: (x: string) => x.replace('.', ','),
    },
    {
      lang: 'pt',
      words: [
        'Respostas por nota',
        'Nota média',
        'Modelo em duas partes',
        'Unidades acima de 0',
        'Valores acima de',
      ],
      decimal: (x: string) => x.replace('.', ','),
    },
  ])(
    'when the experiment page is opened with lang=$lang, then the ordinal, two-part and winsorising panels are in that language with the English figures',
    async ({ lang, words, decimal }) => {
      const { agent } = await signedIn(h.app, h.keys.viewer);
      const panels = (text: string) =>
        [
          ...text.matchAll(
            /<table class="details"[\s\S]*?<\/table>|<p class="muted" data-testid="winsorized-[\s\S]*?<\/p>/g,
          ),
        ]
          .map((m) => m[0])
          .join('\n');
      const en = panels((await agent.get(`/dashboard/experiments/${KEY}?lang=en`)).text);
      const res = await agent.get(`/dashboard/experiments/${KEY}?lang=${lang}`);
      expect(res.status).toBe(200);
      const worded = panels(res.text);
      expectWorded(worded, words, [
        'Answers by point',
        'compared on',
        'Mean score',
        'Two-part model',
        'Units not at 0',
        'Amount per unit',
        'Amounts above',
        'Winsorised at',
        'percentile of the pooled',
        'capped.',
      ]);
      // The cap as the English page writes it ("Amounts above 123.45 count as"), in this language's digits.
      const cap = /Amounts above ([\d.]+) count as/.exec(en)?.[1];
      expect(cap).toBeDefined();
      expect(worded).toContain(decimal(cap!));
    },
  );

  it('when the sums are rebuilt from the stored exposures and events, then they equal the incremental ones', async () => {
    const exp = await h.services.experiments.get(KEY);
    const before = (await h.services.capture.stats.read(exp.id, exp.phase, [])).overall;
    const res = await h.request().post(`/v1/experiments/${KEY}/recompute`).set(auth(h.keys.strategist));
    expect(res.status).toBe(200);
    const after = (await h.services.capture.stats.read(exp.id, exp.phase, [])).overall;
    expect(after.n).toEqual(before.n);
    expect(Object.keys(after.s).sort()).toEqual(Object.keys(before.s).sort());
    for (const [k, v] of Object.entries(before.s)) close(after.s[k]!, v, 1e-12);
    // Every new kind added its own counters.
    for (const stat of ['|contacts-per-order|xy', '|csat-dist|p4', '|spend|nz', '|spend-split|sum'])
      expect(Object.keys(before.s).some((k) => k.endsWith(stat))).toBe(true);
  });
});
