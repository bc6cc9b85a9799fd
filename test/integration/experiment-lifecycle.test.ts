import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentBody, nudgeBody, seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h);
});
afterAll(async () => {
  await h.close();
});

const key = experimentBody.key;
const act = (action: string, body?: object, secret = h.keys.strategist) => {
  const req = h.request().post(`/v1/experiments/${key}/${action}`).set(auth(secret));
  return body === undefined ? req : req.send(body);
};
const stored = () => h.services.experiments.repo.getByKey(key);

describe('experiment lifecycle over HTTP', () => {
  it('refuses to pause, stop or conclude a draft with invalid_transition and leaves it a draft', async () => {
    for (const action of ['pause', 'stop', 'conclude']) {
      const res = await act(action);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('invalid_transition');
    }
    expect(await stored()).toMatchObject({ status: 'draft', phase: 0, version: 1 });
  });

  it('refuses a start whose body has unknown fields and leaves the draft alone', async () => {
    const res = await act('start', { force: true });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields[0].reason).toContain('force');
    expect((await stored())?.status).toBe('draft');
  });

  it('starts a draft as phase 1 with startedAt, audited as start', async () => {
    const res = await act('start');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'running', phase: 1, touchpoint: nudgeBody.touchpoint });
    expect(Date.parse(res.body.startedAt)).not.toBeNaN();
    const audit = await h
      .request()
      .get(`/v1/audit?kind=experiment&key=${key}&action=start`)
      .set(auth(h.keys.admin));
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].before.status).toBe('draft');
    expect(audit.body.items[0].after.status).toBe('running');
  });

  it('locks the variants and weights of a running experiment and lets coverage only grow', async () => {
    const reweighted = {
      ...experimentBody,
      variants: [
        { key: 'control', weight: 0.4 },
        { key: 'fortnightly', weight: 0.6 },
      ],
    };
    const res = await h.request().put(`/v1/experiments/${key}`).set(auth(h.keys.strategist)).send(reweighted);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('experiment_locked');
    expect(res.body.error.details.fields[0].path).toBe('variants');
    const shrink = await h
      .request()
      .put(`/v1/experiments/${key}`)
      .set(auth(h.keys.strategist))
      .send({ ...experimentBody, coverage: 0.2 });
    expect(shrink.status).toBe(409);
    expect(shrink.body.error.details.fields[0].path).toBe('coverage');
    expect(await stored()).toMatchObject({ coverage: 0.5, version: 2 });
    const grow = await h
      .request()
      .put(`/v1/experiments/${key}`)
      .set(auth(h.keys.strategist))
      .send({ ...experimentBody, coverage: 0.8 });
    expect(grow.status).toBe(200);
    expect(grow.body).toMatchObject({ coverage: 0.8, status: 'running', phase: 1 });
  });

  it('freezes the nudge of a running experiment', async () => {
    const changed = {
      ...nudgeBody,
      variants: [
        nudgeBody.variants[0],
        { ...nudgeBody.variants[1], name: 'Every two weeks', key: 'biweekly' },
      ],
    };
    const res = await h
      .request()
      .put(`/v1/nudges/${nudgeBody.key}`)
      .set(auth(h.keys.strategist))
      .send(changed);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('experiment_locked');
    expect((await h.services.nudges.get(nudgeBody.key)).version).toBe(1);
  });

  it('refuses to delete a running experiment', async () => {
    const res = await h.request().delete(`/v1/experiments/${key}`).set(auth(h.keys.strategist));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('experiment_locked');
    expect(await stored()).not.toBeNull();
  });

  it('resumes in the same phase when nothing changed while paused', async () => {
    expect((await act('pause')).body).toMatchObject({ status: 'paused' });
    expect((await act('pause')).body.error.code).toBe('invalid_transition');
    const resumed = await act('start');
    expect(resumed.body).toMatchObject({ status: 'running', phase: 1 });
    expect(resumed.body.pausedAt).toBeUndefined();
  });

  it('starts phase 2 when a paused experiment is resumed with new weights', async () => {
    await act('pause');
    const reweighted = {
      ...experimentBody,
      coverage: 0.8,
      variants: [
        { key: 'control', weight: 0.3 },
        { key: 'fortnightly', weight: 0.7 },
      ],
    };
    const put = await h.request().put(`/v1/experiments/${key}`).set(auth(h.keys.strategist)).send(reweighted);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ status: 'paused', phase: 1, newPhaseOnResume: true });
    const resumed = await act('start');
    expect(resumed.body).toMatchObject({ status: 'running', phase: 2 });
    expect(resumed.body.newPhaseOnResume).toBeUndefined();
  });

  it('stops, refuses a second start, and concludes with a shipped variant', async () => {
    const stopped = await act('stop');
    expect(stopped.body).toMatchObject({ status: 'stopped' });
    expect(Date.parse(stopped.body.stoppedAt)).not.toBeNaN();
    expect((await act('start')).body.error.code).toBe('invalid_transition');
    const wrong = await act('conclude', { shippedVariant: 'weekly' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.fields[0].path).toBe('shippedVariant');
    expect((await stored())?.status).toBe('stopped');
    const concluded = await act('conclude', {
      conclusion: 'Fortnightly lifts completion; CSAT unchanged.',
      shippedVariant: 'fortnightly',
    });
    expect(concluded.status).toBe(200);
    expect(concluded.body).toMatchObject({ status: 'concluded', shippedVariant: 'fortnightly' });
    expect(Date.parse(concluded.body.concludedAt)).not.toBeNaN();
    expect((await act('conclude')).body.error.code).toBe('invalid_transition');
    const actions = await h.request().get(`/v1/audit?kind=experiment&key=${key}`).set(auth(h.keys.admin));
    expect(actions.body.items.map((e: { action: string }) => e.action).reverse()).toEqual([
      'create',
      'start',
      'update',
      'pause',
      'start',
      'pause',
      'update',
      'start',
      'stop',
      'conclude',
    ]);
  });

  it('answers 404 for a lifecycle action on an unknown experiment and 403 for viewers and apps', async () => {
    const missing = await h.request().post('/v1/experiments/nope/start').set(auth(h.keys.strategist));
    expect(missing.status).toBe(404);
    expect((await act('stop', undefined, h.keys.viewer)).status).toBe(403);
    expect((await act('stop', undefined, h.keys.app)).status).toBe(403);
    expect((await h.request().post(`/v1/experiments/${key}/stop`)).status).toBe(401);
  });
});

describe('start preconditions and overlap over HTTP', () => {
  const second = {
    ...experimentBody,
    key: 'second-test',
    metrics: [{ key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', margin: 0.1 }],
  };
  const third = { ...experimentBody, key: 'third-test' };

  it('refuses to start without a primary metric with precondition_failed and leaves the draft', async () => {
    expect((await h.request().post('/v1/experiments').set(auth(h.keys.strategist)).send(second)).status).toBe(
      201,
    );
    const res = await h.request().post('/v1/experiments/second-test/start').set(auth(h.keys.strategist));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('precondition_failed');
    expect(res.body.error.details.fields).toEqual([
      { path: 'metrics', reason: 'a primary metric is required to start' },
    ]);
    expect(await h.services.experiments.repo.getByKey('second-test')).toMatchObject({
      status: 'draft',
      version: 1,
    });
  });

  it('refuses a second exclusive experiment on a busy touchpoint with overlap_conflict, and allows it when both overlap', async () => {
    const strategist = auth(h.keys.strategist);
    await h.request().post('/v1/experiments').set(strategist).send(third);
    await h
      .request()
      .put('/v1/experiments/second-test')
      .set(strategist)
      .send({ ...second, metrics: experimentBody.metrics, overlap: true });
    expect((await h.request().post('/v1/experiments/second-test/start').set(strategist)).status).toBe(200);
    const clash = await h.request().post('/v1/experiments/third-test/start').set(strategist);
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('overlap_conflict');
    expect(clash.body.error.details.conflicting).toEqual(['second-test']);
    expect((await h.services.experiments.repo.getByKey('third-test'))?.status).toBe('draft');
    await h
      .request()
      .put('/v1/experiments/third-test')
      .set(strategist)
      .send({ ...third, overlap: true });
    const both = await h.request().post('/v1/experiments/third-test/start').set(strategist);
    expect(both.status).toBe(200);
    const running = await h
      .request()
      .get(`/v1/experiments?status=running&touchpoint=${nudgeBody.touchpoint}`)
      .set(auth(h.keys.viewer));
    expect(running.body.items.map((e: { key: string }) => e.key)).toEqual(['second-test', 'third-test']);
  });

  it('refuses to start when the nudge has been deleted', async () => {
    const strategist = auth(h.keys.strategist);
    // A draft whose nudge disappears: created against a throw-away nudge on the same touchpoint.
    const nudge = { ...nudgeBody, key: 'gone-nudge' };
    await h.request().post('/v1/nudges').set(strategist).send(nudge);
    await h
      .request()
      .post('/v1/experiments')
      .set(strategist)
      .send({ ...experimentBody, key: 'orphan', nudge: 'gone-nudge' });
    await h.services.nudges.repo.deleteByKey('gone-nudge');
    const res = await h.request().post('/v1/experiments/orphan/start').set(strategist);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('precondition_failed');
    expect(res.body.error.details.fields[0].path).toBe('nudge');
  });
});

describe('concurrent starts', () => {
  it('never leaves two exclusive experiments running on one touchpoint when both start at once', async () => {
    const strategist = auth(h.keys.strategist);
    const touchpoint = {
      key: 'home-loan.consider.race',
      journey: 'home-loan',
      stage: 'consider',
      channel: 'app',
      name: 'Race',
    };
    await h.request().post('/v1/touchpoints').set(strategist).send(touchpoint);
    await h
      .request()
      .post('/v1/nudges')
      .set(strategist)
      .send({ ...nudgeBody, key: 'race-nudge', touchpoint: touchpoint.key });
    for (let round = 0; round < 3; round++) {
      const keys = [`race-a-${round}`, `race-b-${round}`];
      for (const key of keys) {
        await h
          .request()
          .post('/v1/experiments')
          .set(strategist)
          .send({ ...experimentBody, key, nudge: 'race-nudge' });
      }
      const results = await Promise.all(
        keys.map((key) => h.request().post(`/v1/experiments/${key}/start`).set(strategist)),
      );
      expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
      for (const r of results.filter((r) => r.status !== 200))
        expect(r.body.error.code).toBe('overlap_conflict');
      const running = await h.services.experiments.repo.list({
        touchpoint: touchpoint.key,
        status: 'running',
      });
      expect(running.length).toBeLessThanOrEqual(1);
      // An undone start leaves the experiment a draft again.
      for (const key of keys) {
        const exp = await h.services.experiments.get(key);
        expect(['running', 'draft']).toContain(exp.status);
      }
      for (const exp of running) await h.request().post(`/v1/experiments/${exp.key}/stop`).set(strategist);
    }
  });
});
