import jStat from 'jstat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedIn } from '../helpers/dashboard-session.js';
import { seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * Survey response bias on an ordinal CSAT metric, all over HTTP: an experiment created and
 * started, customers assigned, their answers posted as events, a refresh, then the readout and
 * the experiment's dashboard page. The chi-square is worked out here from the customers this
 * file assigned and the answers it sent, as a two-proportion z-test (z^2 is Pearson's chi-square
 * of the 2 x 2 table, and its p-value is the normal's two tails).
 */
let h: Harness;
const N = 400;
const METRIC = 'csat-dist';

interface Tally {
  exposed: Record<string, number>;
  answered: Record<string, number>;
}

async function run(
  key: string,
  touchpoint: string,
  nudge: string,
  answerChance: Record<string, number>,
  seed: number,
) {
  const s = auth(h.keys.strategist);
  const created = await h
    .request()
    .post('/v1/experiments')
    .set(s)
    .send({
      key,
      name: `Response ${key}`,
      nudge,
      owner: 'cx',
      hypothesis: 'The nudge does not change who answers the CSAT survey.',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'fortnightly', weight: 0.5 },
      ],
      metrics: [
        { key: 'completed', kind: 'conversion', role: 'primary', event: 'application_completed' },
        { key: METRIC, name: 'CSAT distribution', kind: 'ordinal', role: 'guardrail', event: 'csat' },
      ],
    });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await h.request().post(`/v1/experiments/${key}/start`).set(s)).status).toBe(200);
  await h.services.capture.assignments.refresh();
  const tally: Tally = { exposed: { control: 0, fortnightly: 0 }, answered: { control: 0, fortnightly: 0 } };
  const u = seededRandom(seed);
  const answers: { customerId: string; value: number }[] = [];
  for (let i = 0; i < N; i += 50) {
    const ids = Array.from({ length: 50 }, (_, j) => `${key}-${i + j}`);
    const replies = await Promise.all(
      ids.map((customerId) =>
        h
          .request()
          .post('/v1/assignments')
          .set(auth(h.keys.app))
          .send({ customerId, touchpoint, channel: 'web' }),
      ),
    );
    replies.forEach((r, j) => {
      expect(r.status).toBe(200);
      const variant = r.body.assignments[0].variant as string;
      const customerId = ids[j]!;
      tally.exposed[variant]! += 1;
      // Each arm answers at exactly its chance (to within one answer), whichever customers the hash
      // puts in it: the experiment's id, and with it the split, is new on every run, and a random
      // draw per customer made the balanced arms differ past p = 0.001 in about one run in a
      // thousand.
      if (tally.answered[variant]! < Math.round(answerChance[variant]! * tally.exposed[variant]!)) {
        tally.answered[variant]! += 1;
        const value = 1 + Math.floor(u() * 5);
        answers.push({ customerId, value });
      }
    });
  }
  await h.services.capture.exposures.flush();
  // Answered after the exposure, inside the metric's window.
  const at = new Date().toISOString();
  const events = answers.map(({ customerId, value }) => ({
    eventId: `${customerId}-csat`,
    customerId,
    occurredAt: at,
    type: 'csat',
    value,
  }));
  const posted = await h.request().post('/v1/events').set(auth(h.keys.app)).send({ events });
  expect(posted.status).toBe(200);
  expect(posted.body.rejected).toEqual([]);
  expect((await h.request().post(`/v1/experiments/${key}/refresh`).set(s)).status).toBe(200);
  return tally;
}

/** Two-proportion z-test: chi-square = z^2 with the pooled share, p from the normal's tails. */
function byHand(t: Tally) {
  const [n1, n2] = [t.exposed.control!, t.exposed.fortnightly!];
  const [a1, a2] = [t.answered.control!, t.answered.fortnightly!];
  const p = (a1 + a2) / (n1 + n2);
  const z = (a1 / n1 - a2 / n2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return { chiSquare: z * z, pValue: 2 * (1 - jStat.normal.cdf(Math.abs(z), 0, 1)) };
}

let planted: Tally;
let balanced: Tally;

beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
  const s = auth(h.keys.strategist);
  // A second touchpoint: nudges on one touchpoint exclude each other, so each experiment has its own.
  await h
    .request()
    .post('/v1/touchpoints')
    .set(s)
    .send({
      key: 'home-loan.apply.summary',
      journey: 'home-loan',
      stage: 'apply',
      channel: 'web',
      name: 'Summary',
    })
    .expect(201);
  await h
    .request()
    .post('/v1/nudges')
    .set(s)
    .send({
      key: 'summary-default',
      touchpoint: 'home-loan.apply.summary',
      type: 'default',
      name: 'Fortnightly on the summary',
      principle: 'Default effect.',
      variants: [
        { key: 'control', name: 'Monthly', payload: { option: 'monthly', mode: 'opt-in' } },
        { key: 'fortnightly', name: 'Fortnightly', payload: { option: 'fortnightly', mode: 'opt-out' } },
      ],
    })
    .expect(201);
  planted = await run(
    'ordinal-planted',
    'home-loan.apply.payment-plan',
    'payment-plan-default',
    {
      control: 0.4,
      fortnightly: 0.12,
    },
    51,
  );
  balanced = await run(
    'ordinal-balanced',
    'home-loan.apply.summary',
    'summary-default',
    {
      control: 0.3,
      fortnightly: 0.3,
    },
    52,
  );
}, 180_000);
afterAll(async () => {
  await h.close();
});

async function readout(key: string) {
  const res = await h.request().get(`/v1/experiments/${key}/readout`).set(auth(h.keys.viewer));
  expect(res.status).toBe(200);
  return res.body.latest;
}

const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThan(1e-9 * Math.max(1, Math.abs(y)));

describe('survey response bias on an ordinal CSAT metric', () => {
  it('when one arm answers the ordinal CSAT survey much less, then the readout flags it with the answered and exposed counts and the chi-square worked out here', async () => {
    const latest = await readout('ordinal-planted');
    const bias = latest.evidence.responseBias[METRIC];
    for (const v of ['control', 'fortnightly']) {
      expect(bias.arms[v]).toEqual({
        exposed: planted.exposed[v],
        answered: planted.answered[v],
        share: planted.answered[v]! / planted.exposed[v]!,
      });
    }
    const expected = byHand(planted);
    expect(expected.pValue).toBeLessThan(0.001);
    close(bias.chiSquare, expected.chiSquare);
    expect(Math.abs(bias.pValue - expected.pValue)).toBeLessThan(1e-9);
    expect(bias).toMatchObject({ df: 1, flagged: true, metric: 'CSAT distribution' });
    // The ordinal metric's n is those who answered: the same counts the check uses.
    expect(latest.counts.metrics[METRIC].variants.fortnightly.n).toBe(planted.answered.fortnightly);
    expect(latest.readout.decision.summary).toContain(
      'Survey response differs between arms on CSAT distribution',
    );
  });

  it('when the experiment page is opened, then it marks the ordinal metric flagged and shows who answered per arm', async () => {
    const { agent } = await signedIn(h.app, h.keys.viewer);
    const page = await agent.get('/dashboard/experiments/ordinal-planted');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-testid="response-bias-${METRIC}" data-flagged="true"`);
    for (const v of ['control', 'fortnightly']) {
      expect(page.text).toContain(`data-testid="answered-${METRIC}-${v}">${planted.answered[v]}<`);
    }
    expect(page.text).toContain('Survey response differs between arms on CSAT distribution');
  });

  it('when both arms answer with the same chance, then the ordinal metric is not flagged in the readout or on the page', async () => {
    const latest = await readout('ordinal-balanced');
    const bias = latest.evidence.responseBias[METRIC];
    const expected = byHand(balanced);
    expect(expected.pValue).toBeGreaterThan(0.001);
    close(bias.chiSquare, expected.chiSquare);
    expect(bias.flagged).toBe(false);
    expect(latest.readout.decision.summary).not.toContain('Survey response');
    const { agent } = await signedIn(h.app, h.keys.viewer);
    const page = await agent.get('/dashboard/experiments/ordinal-balanced');
    expect(page.text).toContain(`data-testid="response-bias-${METRIC}" data-flagged="false"`);
    expect(page.text).not.toContain('data-flagged="true"');
    expect(page.text).toContain(`chi-square ${expected.chiSquare.toFixed(2)}`);
  });
});
