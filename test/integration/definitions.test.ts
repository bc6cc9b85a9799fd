import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  experimentBody,
  journeyBody,
  nudgeBody,
  seedDefinitions,
  touchpointBody,
} from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
});
afterAll(async () => {
  await h.close();
});

const post = (path: string, body: unknown) =>
  h
    .request()
    .post(path)
    .set(auth(h.keys.strategist))
    .send(body as object);
const put = (path: string, body: unknown) =>
  h
    .request()
    .put(path)
    .set(auth(h.keys.strategist))
    .send(body as object);
const get = (path: string) => h.request().get(path).set(auth(h.keys.viewer));

/** What the database holds for one kind: keys and versions, to assert that a refused request changed nothing. */
async function snapshot() {
  const pick = (items: { key: string; version: number }[]) => items.map((i) => `${i.key}@${i.version}`);
  return {
    touchpoints: pick(await h.services.touchpoints.list()),
    nudges: pick(await h.services.nudges.list()),
    experiments: pick(await h.services.experiments.list()),
  };
}

describe('touchpoints', () => {
  it('creates a touchpoint with a tpt_ id on a stage of its journey and filters by journey and channel', async () => {
    const created = await post('/v1/touchpoints', {
      ...touchpointBody,
      key: 'home-loan.consider.email',
      stage: 'consider',
      channel: 'email',
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^tpt_/);
    const byJourney = await get('/v1/touchpoints?journey=home-loan');
    expect(byJourney.body.items.map((t: { key: string }) => t.key)).toEqual([
      'home-loan.apply.payment-plan',
      'home-loan.consider.email',
    ]);
    const byChannel = await get('/v1/touchpoints?journey=home-loan&channel=email');
    expect(byChannel.body.items.map((t: { key: string }) => t.key)).toEqual(['home-loan.consider.email']);
    expect((await get('/v1/touchpoints?journey=checkout')).body.items).toEqual([]);
  });

  it('refuses a touchpoint on a missing journey or stage, naming the field', async () => {
    const before = await snapshot();
    const noJourney = await post('/v1/touchpoints', { ...touchpointBody, key: 'x.y', journey: 'car-loan' });
    expect(noJourney.status).toBe(400);
    expect(noJourney.body.error.details.fields).toEqual([
      { path: 'journey', reason: 'no journey with key "car-loan"' },
    ]);
    const noStage = await post('/v1/touchpoints', { ...touchpointBody, key: 'x.y', stage: 'renew' });
    expect(noStage.status).toBe(400);
    expect(noStage.body.error.details.fields[0].path).toBe('stage');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an unknown list filter or a bad filter value', async () => {
    const unknown = await get('/v1/touchpoints?colour=red');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('validation_failed');
    const bad = await get('/v1/touchpoints?channel=fax');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].path).toBe('channel');
  });

  it('removes optional fields left out of a replace', async () => {
    const key = 'home-loan.consider.email';
    await put(`/v1/touchpoints/${key}`, {
      ...touchpointBody,
      key,
      stage: 'consider',
      channel: 'email',
      description: 'Rate e-mail',
    });
    const replaced = await put(`/v1/touchpoints/${key}`, {
      ...touchpointBody,
      key,
      stage: 'consider',
      channel: 'sms',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.description).toBeUndefined();
    expect((await h.services.touchpoints.get(key)).description).toBeUndefined();
  });

  it('deletes an unused touchpoint and refuses to delete one a nudge uses with in_use', async () => {
    const del = await h
      .request()
      .delete('/v1/touchpoints/home-loan.consider.email')
      .set(auth(h.keys.strategist));
    expect(del.status).toBe(204);
    const used = await h
      .request()
      .delete(`/v1/touchpoints/${touchpointBody.key}`)
      .set(auth(h.keys.strategist));
    expect(used.status).toBe(409);
    expect(used.body.error.code).toBe('in_use');
    expect(await h.services.touchpoints.repo.getByKey(touchpointBody.key)).not.toBeNull();
  });

  it('refuses to remove a journey stage that a touchpoint uses', async () => {
    const res = await put('/v1/journeys/home-loan', {
      ...journeyBody,
      stages: [{ key: 'consider', name: 'Consider' }],
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('in_use');
    expect((await h.services.journeys.get('home-loan')).stages).toHaveLength(2);
  });
});

describe('nudges', () => {
  it('has an ndg_ id and filters by touchpoint and type', async () => {
    const one = await get(`/v1/nudges/${nudgeBody.key}`);
    expect(one.body.id).toMatch(/^ndg_/);
    const listed = await get(`/v1/nudges?touchpoint=${touchpointBody.key}&type=default`);
    expect(listed.body.items.map((n: { key: string }) => n.key)).toEqual([nudgeBody.key]);
    expect((await get('/v1/nudges?type=timing')).body.items).toEqual([]);
  });

  it('refuses a nudge on a missing touchpoint', async () => {
    const before = await snapshot();
    const res = await post('/v1/nudges', { ...nudgeBody, key: 'other-nudge', touchpoint: 'nowhere' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields).toEqual([
      { path: 'touchpoint', reason: 'no touchpoint with key "nowhere"' },
    ]);
    expect(await snapshot()).toEqual(before);
  });
});

describe('experiments', () => {
  it('creates a draft with an exp_ id, phase 0 and the touchpoint of its nudge', async () => {
    const res = await post('/v1/experiments', {
      ...experimentBody,
      targeting: { segment: { $in: ['first-home', 'refinance'] }, 'address.country': 'AU' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'draft', phase: 0, touchpoint: touchpointBody.key });
    expect(res.body.id).toMatch(/^exp_/);
  });

  it('stores GrowthBook targeting with $ operators and dotted names and returns it unchanged', async () => {
    const targeting = { segment: { $in: ['first-home', 'refinance'] }, 'address.country': 'AU' };
    expect((await get(`/v1/experiments/${experimentBody.key}`)).body.targeting).toEqual(targeting);
    const audit = await h
      .request()
      .get(`/v1/audit?kind=experiment&key=${experimentBody.key}`)
      .set(auth(h.keys.admin));
    expect(audit.body.items[0].after.targeting).toEqual(targeting);
  });

  it("refuses variants that are not the nudge's and a missing nudge", async () => {
    const before = await snapshot();
    const wrong = await post('/v1/experiments', {
      ...experimentBody,
      key: 'other-exp',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'weekly', weight: 0.5 },
      ],
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.fields[0].path).toBe('variants');
    const missing = await post('/v1/experiments', { ...experimentBody, key: 'other-exp', nudge: 'nope' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields[0].path).toBe('nudge');
    expect(await snapshot()).toEqual(before);
  });

  it('filters by status and touchpoint', async () => {
    const drafts = await get(`/v1/experiments?status=draft&touchpoint=${touchpointBody.key}`);
    expect(drafts.body.items.map((e: { key: string }) => e.key)).toEqual([experimentBody.key]);
    expect((await get(`/v1/experiments?status=running&touchpoint=${touchpointBody.key}`)).body.items).toEqual(
      [],
    );
    expect((await get('/v1/experiments?status=finished')).status).toBe(400);
  });

  it('refuses to delete a nudge an experiment uses, and deletes a draft experiment', async () => {
    const used = await h.request().delete(`/v1/nudges/${nudgeBody.key}`).set(auth(h.keys.strategist));
    expect(used.status).toBe(409);
    expect(used.body.error.code).toBe('in_use');
    const other = { ...experimentBody, key: 'to-delete' };
    expect((await post('/v1/experiments', other)).status).toBe(201);
    expect((await h.request().delete('/v1/experiments/to-delete').set(auth(h.keys.strategist))).status).toBe(
      204,
    );
    expect(await h.services.experiments.repo.getByKey('to-delete')).toBeNull();
  });
});

describe('bad input on every write route changes nothing', () => {
  const routes = [
    {
      name: 'touchpoint',
      path: '/v1/touchpoints',
      one: `/v1/touchpoints/${touchpointBody.key}`,
      body: touchpointBody,
      field: 'channel',
      wrong: 42,
    },
    {
      name: 'nudge',
      path: '/v1/nudges',
      one: `/v1/nudges/${nudgeBody.key}`,
      body: nudgeBody,
      field: 'principle',
      wrong: ['x'],
    },
    {
      name: 'experiment',
      path: '/v1/experiments',
      one: `/v1/experiments/${experimentBody.key}`,
      body: experimentBody,
      field: 'hypothesis',
      wrong: 42,
    },
  ];

  for (const r of routes) {
    it(`refuses a ${r.name} body with a wrong type, a missing field, an unknown field, a $ key or an oversized body`, async () => {
      const before = await snapshot();
      const fresh = { ...r.body, key: `fresh-${r.name}` };
      const { [r.field]: _dropped, ...missing } = fresh as Record<string, unknown>;
      const cases: [string, object, number, string, string][] = [
        ['wrong type', { ...fresh, [r.field]: r.wrong }, 400, 'validation_failed', r.field],
        ['missing field', missing, 400, 'validation_failed', r.field],
        ['unknown field', { ...fresh, colour: 'red' }, 400, 'validation_failed', '(root)'],
        ['$ key', { ...fresh, $where: 'sleep(1000)' }, 400, 'validation_failed', '$where'],
      ];
      for (const [label, body, status, code, path] of cases) {
        for (const res of [await post(r.path, body), await put(r.one, { ...body, key: r.body.key })]) {
          expect(res.status, label).toBe(status);
          expect(res.body.error.code, label).toBe(code);
          expect(
            res.body.error.details.fields.map((f: { path: string }) => f.path),
            label,
          ).toContain(path);
        }
      }
      const big = await post(r.path, { ...fresh, name: 'x'.repeat(1100 * 1024) });
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('payload_too_large');
      const nested = await post(r.path, { ...fresh, extra: { $gt: 1 } });
      expect(nested.body.error.details.fields[0].path).toBe('extra.$gt');
      expect(await snapshot()).toEqual(before);
    });
  }

  it('refuses a body whose key differs from the path, and a stale version', async () => {
    const before = await snapshot();
    const mismatch = await put(`/v1/nudges/${nudgeBody.key}`, { ...nudgeBody, key: 'renamed' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.details.fields[0].path).toBe('key');
    const stale = await h
      .request()
      .put(`/v1/experiments/${experimentBody.key}?version=99`)
      .set(auth(h.keys.strategist))
      .send(experimentBody);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    expect(await snapshot()).toEqual(before);
  });
});

describe('edits at once', () => {
  it('when twelve strategists replace one touchpoint at the same version at once, then one wins and eleven get version_conflict', async () => {
    const key = 'home-loan.consider.sms';
    const body = { ...touchpointBody, key, stage: 'consider', channel: 'sms' };
    const created = await post('/v1/touchpoints', body);
    expect(created.status).toBe(201);
    const version = (created.body as { version: number }).version;
    const names = Array.from({ length: 12 }, (_, i) => `Concurrent edit ${i}`);
    const answers = await Promise.all(
      names.map((name) => put(`/v1/touchpoints/${key}?version=${version}`, { ...body, name })),
    );
    const won = answers.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual(
      Array.from({ length: 11 }, () => 'version_conflict'),
    );
    const stored = (await get(`/v1/touchpoints/${key}`).expect(200)).body as {
      name: string;
      version: number;
    };
    expect(stored.name).toBe(won[0]?.body.name);
    expect(stored.version).toBe(version + 1);
  });
});

describe('deletes and references at once', () => {
  type Made = [path: string, body: { key: string } & Record<string, unknown>];
  /** One kind deleted while a definition of another kind is made on it, twenty times. */
  const races: {
    deleted: string;
    made: string;
    field: string;
    setUp: (i: number) => Made;
    make: (target: string, i: number) => Made;
    stranded: () => Promise<string[]>;
  }[] = [
    {
      deleted: 'touchpoint',
      made: 'nudge',
      field: 'touchpoint',
      setUp: (i: number) => [
        '/v1/touchpoints',
        { ...touchpointBody, key: `home-loan.consider.race-${i}`, stage: 'consider' },
      ],
      make: (target: string, i: number) => [
        '/v1/nudges',
        { ...nudgeBody, key: `race-nudge-${i}`, touchpoint: target },
      ],
      stranded: async () => {
        const touchpoints = new Set((await h.services.touchpoints.list()).map((t) => t.key));
        return (await h.services.nudges.list())
          .filter((n) => !touchpoints.has(n.touchpoint))
          .map((n) => n.key);
      },
    },
    {
      deleted: 'nudge',
      made: 'experiment',
      field: 'nudge',
      setUp: (i: number) => ['/v1/nudges', { ...nudgeBody, key: `race-plan-${i}` }],
      make: (target: string, i: number) => [
        '/v1/experiments',
        { ...experimentBody, key: `race-test-${i}`, nudge: target },
      ],
      stranded: async () => {
        const nudges = new Set((await h.services.nudges.list()).map((n) => n.key));
        return (await h.services.experiments.list()).filter((e) => !nudges.has(e.nudge)).map((e) => e.key);
      },
    },
  ];

  for (const { deleted: kind, made: madeKind, field, setUp, make, stranded } of races) {
    it(`when a ${kind} is deleted while a new ${madeKind} is made on it, twenty times, then never both succeed and none is left on a missing ${kind}`, async () => {
      for (let i = 0; i < 20; i++) {
        const [path, body] = setUp(i);
        expect((await post(path, body)).status).toBe(201);
        const target = body.key;
        const [madePath, madeBody] = make(target, i);
        const [deleted, made] = await Promise.all([
          h.request().delete(`${path}/${target}`).set(auth(h.keys.strategist)),
          post(madePath, madeBody),
        ]);
        expect(deleted.status === 204 && made.status === 201, `round ${i}`).toBe(false);
        // Whichever is refused gets the error its own check gives, never a 5xx.
        if (deleted.status !== 204)
          expect([deleted.status, deleted.body.error.code]).toEqual([409, 'in_use']);
        if (made.status !== 201) {
          expect(made.status, kind).toBe(400);
          expect(made.body.error.details.fields[0].path).toBe(field);
        }
      }
      expect(await stranded()).toEqual([]);
    });
  }
});

describe('OpenAPI document', () => {
  it('describes the touchpoint, nudge and experiment routes and the lifecycle actions with their errors', async () => {
    const doc = await h.request().get('/openapi.json');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    for (const p of [
      '/v1/touchpoints',
      '/v1/nudges/{key}',
      '/v1/experiments',
      '/v1/experiments/{key}/conclude',
    ]) {
      expect(Object.keys(paths)).toContain(p);
    }
    const startResponses = JSON.stringify(paths['/v1/experiments/{key}/start']?.post?.responses);
    for (const code of ['invalid_transition', 'precondition_failed', 'overlap_conflict', 'forbidden']) {
      expect(startResponses).toContain(code);
    }
  });
});
