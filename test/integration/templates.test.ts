import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/db/embedded.js';
import { experimentSchema } from '../../src/domain/schemas/experiment.schema.js';
import { nudgeSchema } from '../../src/domain/schemas/nudge.schema.js';
import { templateViewSchema } from '../../src/domain/schemas/template.schema.js';
import { syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

interface Study {
  id: string;
  citation: string;
  randomized: boolean;
  armSizesFound: boolean;
  totalN: number | null;
  sources: string[];
  arms: { name: string; n: number | null; successes: number | null; rate: number | null }[];
}
interface Evidence {
  studies: Study[];
  metaAnalyses: { id: string; figures: Record<string, number> }[];
}

const evidence = JSON.parse(
  readFileSync(path.resolve(repoRoot, '../shared/data/nudge-studies.json'), 'utf8'),
) as Evidence;
const studies = new Map(evidence.studies.map((s) => [s.id, s]));

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  const result = await syncDefinitions(h.services, { dir: path.resolve(repoRoot, 'experiments') });
  expect(result.issues).toEqual([]);
});
afterAll(async () => {
  await h.close();
});

type View = ReturnType<typeof templateViewSchema.parse>;

describe('the template library', () => {
  it('when sync loads experiments/templates, then at least 15 templates validate and cite, figure for figure, a study of the evidence file', async () => {
    const res = await h.request().get('/v1/templates').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    const items = res.body.items as View[];
    expect(items.length).toBeGreaterThanOrEqual(15);
    for (const t of items) {
      templateViewSchema.parse(t);
      const study = studies.get(t.evidence.study);
      expect(study, t.key).toBeDefined();
      if (!study) continue;
      expect(t.evidence.citation).toBe(study.citation);
      expect(t.evidence.sources).toEqual(study.sources);
      expect(t.evidence.randomized).toBe(study.randomized);
      expect(t.evidence.totalN).toBe(study.totalN);
      // Unknown figures stay null: nothing filled in.
      expect(t.evidence.arms).toEqual(
        study.arms.map(({ name, n, successes, rate }) => ({ name, n, successes, rate })),
      );
      for (const other of t.evidence.replicatedBy) expect(studies.has(other), other).toBe(true);
      // The published effect, recomputed here from the study's own arm rates.
      const c = t.evidence.control === null ? null : study.arms[t.evidence.control]?.rate;
      const x = t.evidence.treatment === null ? null : study.arms[t.evidence.treatment]?.rate;
      if (c != null && x != null) {
        expect(t.publishedEffect?.relative).toBeCloseTo(x / c - 1, 12);
        expect(t.publishedEffect?.absolutePoints).toBeCloseTo((x - c) * 100, 10);
      } else {
        expect(t.publishedEffect).toBeNull();
        expect(t.prior).toBeNull();
      }
      if (!study.randomized) expect(t.grade.grade).toBe('D');
    }
  });

  it('discounts a published effect for publication bias by the nudge-unit / journal ratio of the meta-analysis', async () => {
    const meta = evidence.metaAnalyses.find((m) => m.id === 'dellavigna_linos_2022_rcts_to_the_rescue');
    const ratio =
      (meta?.figures.nudgeUnitMeanRelativeEffect ?? 0) / (meta?.figures.journalMeanRelativeEffect ?? 1);
    const res = await h.request().get('/v1/templates/cost-of-a-missed-appointment').set(auth(h.keys.viewer));
    expect(res.body.publishedEffect.relative).toBeCloseTo(0.084 / 0.111 - 1, 12);
    expect(res.body.prior.discount).toBeCloseTo(ratio, 12);
    expect(res.body.prior.expectedRelativeLift).toBeCloseTo((0.084 / 0.111 - 1) * ratio, 12);
    expect(res.body.grade).toMatchObject({
      grade: 'B',
      randomized: true,
      armSizesKnown: false,
      replicated: true,
    });
  });

  it('filters the catalogue by nudge type, channel and journey stage', async () => {
    const get = async (q: string) =>
      (await h.request().get(`/v1/templates?${q}`).set(auth(h.keys.viewer))).body.items as View[];
    const reminders = await get('type=reminder');
    expect(reminders.length).toBeGreaterThan(0);
    expect(reminders.every((t) => t.type === 'reminder')).toBe(true);
    const sms = await get('channel=sms&stage=renew');
    expect(sms.length).toBeGreaterThan(0);
    expect(sms.every((t) => t.fit.channels.includes('sms') && t.fit.stages.includes('renew'))).toBe(true);
    const bad = await h.request().get('/v1/templates?channel=fax').set(auth(h.keys.viewer));
    expect(bad.status).toBe(400);
  });

  it('when every template is instantiated on a touchpoint, then each gives a valid draft nudge and experiment that can start', {
    timeout: 120_000,
  }, async () => {
    const items = (await h.request().get('/v1/templates').set(auth(h.keys.viewer))).body.items as View[];
    for (const t of items) {
      const res = await h
        .request()
        .post(`/v1/templates/${t.key}/instantiate`)
        .set(auth(h.keys.strategist))
        .send({ touchpoint: 'home-loan.apply.repayment-plan', owner: 'cx-team', usePrior: true });
      expect(res.status, `${t.key}: ${JSON.stringify(res.body)}`).toBe(201);
      const nudge = nudgeSchema.parse(res.body.nudge);
      const experiment = experimentSchema.parse(res.body.experiment);
      expect(nudge).toMatchObject({ type: t.type, touchpoint: 'home-loan.apply.repayment-plan' });
      expect(experiment).toMatchObject({
        status: 'draft',
        nudge: nudge.key,
        control: t.nudge.variants[0]?.key,
      });
      expect(experiment.metrics[0]).toMatchObject({ role: 'primary', event: t.metric.event });
      expect(experiment.hypothesis.startsWith(t.hypothesis)).toBe(true);
      if (t.prior) expect(experiment.hypothesis).toContain('Prior expectation after publication bias');
    }
    // A draft from a template runs like any other.
    await h
      .request()
      .post('/v1/touchpoints')
      .set(auth(h.keys.strategist))
      .send({
        key: 'home-loan.use.review',
        journey: 'home-loan',
        stage: 'use',
        channel: 'email',
        name: 'Review',
      })
      .expect(201);
    const instantiate = (secret: string, body: Record<string, string>) =>
      h.request().post('/v1/templates/check-up-reminder/instantiate').set(auth(secret)).send(body);
    const reminder = {
      touchpoint: 'home-loan.onboard.welcome-call',
      owner: 'cx-team',
      experimentKey: 'welcome-reminder',
    };
    const free = await instantiate(h.keys.strategist, reminder);
    expect(free.status).toBe(201);
    const started = await h
      .request()
      .post('/v1/experiments/welcome-reminder/start')
      .set(auth(h.keys.strategist))
      .send({});
    expect([200, 409]).toContain(started.status);
    if (started.status === 409) expect(started.body.error.code).toBe('overlap_conflict');
    const again = await instantiate(h.keys.strategist, reminder);
    expect(again.status).toBe(409);
    const viewer = await instantiate(h.keys.viewer, {
      touchpoint: 'home-loan.onboard.welcome-call',
      owner: 'x',
    });
    expect(viewer.status).toBe(403);
  });
});
