import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverAt } from '../../src/domain/assignment/deliver-at.js';
import { systemActor } from '../../src/domain/roles.js';
import { syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { signedIn as signedInAs } from '../helpers/dashboard-session.js';
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
  await seedDefinitions(h);
}, 120_000);
afterAll(async () => {
  await h.close();
});

const signedIn = (secret: string) => signedInAs(h.app, secret);

/** The experiment form's fields for a body like the API's. */
function experimentForm(csrf: string, key: string, weights: [number, number]): Record<string, string> {
  return {
    csrf,
    key,
    name: 'Made in the browser',
    nudge: nudgeBody.key,
    owner: 'lending-cx',
    hypothesis: 'Fortnightly by default raises completion.',
    control: 'control',
    'variants[0].key': 'control',
    'variants[0].weight': String(weights[0]),
    'variants[1].key': 'fortnightly',
    'variants[1].weight': String(weights[1]),
    'variants[2].key': '',
    'variants[2].weight': '',
    coverage: '1',
    targeting: '{"country": {"$in": ["NL", "BE"]}}',
    'metrics[0].key': 'completed',
    'metrics[0].kind': 'conversion',
    'metrics[0].role': 'primary',
    'metrics[0].event': 'application_completed',
    'metrics[1].key': 'csat',
    'metrics[1].kind': 'mean',
    'metrics[1].role': 'guardrail',
    'metrics[1].event': 'csat',
    'metrics[1].margin': '0.1',
  };
}

describe('the workspace forms', () => {
  it('when a strategist posts a journey with two stages, then it is stored and audited as from the dashboard', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent.post('/dashboard/edit/journey').type('form').send({
      csrf,
      key: 'ws-card',
      name: 'Credit card',
      'stages[0].key': 'apply',
      'stages[0].name': 'Apply',
      'stages[1].key': 'use',
      'stages[1].name': 'Use',
      'stages[2].key': '',
      'stages[2].name': '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/dashboard/edit/journey/ws-card');
    const stored = await h.services.journeys.get('ws-card');
    expect(stored.stages.map((s) => s.key)).toEqual(['apply', 'use']);
    const audit = await h.services.audit.list({ kind: 'journey', key: 'ws-card', limit: 5 });
    expect(audit.items[0]).toMatchObject({ actor: 'test-strategist', action: 'create', source: 'dashboard' });
  });

  it('when the weights do not add up, then the form names the variants field and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/experiment')
      .type('form')
      .send(experimentForm(csrf, 'ws-bad', [0.5, 0.4]));
    expect(res.status).toBe(400);
    expect(res.text).toContain('data-field="variants"');
    expect(res.text).toContain('weights must add up to 1 (got 0.9)');
    expect(res.text).toContain('value="0.4"');
    expect(await h.services.experiments.repo.getByKey('ws-bad')).toBeNull();
  });

  it('when targeting is built from attribute rows beside a JSON condition, then both are stored as one condition', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/experiment')
      .type('form')
      .send({
        ...experimentForm(csrf, 'ws-rules', [0.5, 0.5]),
        'targetingRules[0].attribute': 'plan',
        'targetingRules[0].operator': '$in',
        'targetingRules[0].value': 'gold, silver',
        'targetingRules[1].attribute': '',
        'targetingRules[1].operator': '',
        'targetingRules[1].value': '',
      });
    expect(res.status).toBe(303);
    const exp = await h.services.experiments.get('ws-rules');
    expect(exp.targeting).toEqual({ country: { $in: ['NL', 'BE'] }, plan: { $in: ['gold', 'silver'] } });
    const page = await agent.get('/dashboard/edit/experiment/ws-rules');
    expect(page.text).toMatch(/name="targetingRules\[0\]\.attribute"[^>]*value="(country|plan)"/);
  });

  it('when a targeting row names no attribute, then the row field says so and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/experiment')
      .type('form')
      .send({ ...experimentForm(csrf, 'ws-bad-rule', [0.5, 0.5]), 'targetingRules[0].value': 'gold' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/targetingRules\[0\]\.attribute/);
    await expect(h.services.experiments.get('ws-bad-rule')).rejects.toThrow();
  });

  it('when a running experiment gets other variants, then the form shows the rule and the stored one is unchanged', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const created = await agent
      .post('/dashboard/edit/experiment')
      .type('form')
      .send(experimentForm(csrf, 'ws-live', [0.5, 0.5]));
    expect(created.status).toBe(303);
    const exp = await h.services.experiments.get('ws-live');
    expect(exp.targeting).toEqual({ country: { $in: ['NL', 'BE'] } });
    const start = await agent
      .post('/dashboard/edit/experiment/ws-live/lifecycle')
      .type('form')
      .send({ csrf, action: 'start', version: String(exp.version) });
    expect(start.status).toBe(303);
    const before = await h.services.experiments.get('ws-live');
    expect(before.status).toBe('running');
    const res = await agent
      .post('/dashboard/edit/experiment/ws-live')
      .type('form')
      .send(experimentForm(csrf, 'ws-live', [0.7, 0.3]));
    expect(res.status).toBe(409);
    expect(res.text).toMatch(/data-field="variants"/);
    const after = await h.services.experiments.get('ws-live');
    expect(after.version).toBe(before.version);
    expect(after.variants).toEqual(before.variants);
  });

  it('when targeting uses an operator Nudgelab does not accept, then the targeting field says which', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const form = {
      ...experimentForm(csrf, 'ws-target', [0.5, 0.5]),
      targeting: '{"country": {"$where": "x"}}',
    };
    const res = await agent.post('/dashboard/edit/experiment').type('form').send(form);
    expect(res.status).toBe(400);
    expect(res.text).toContain('unknown operator');
    expect(await h.services.experiments.repo.getByKey('ws-target')).toBeNull();
  });

  it('when a form drawn from an older version is saved, then it is refused and the newer change is kept', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const page = await agent.get('/dashboard/edit/journey/ws-card');
    const version = /name="version" value="(\d+)"/.exec(page.text)?.[1];
    expect(version).toBe('1');
    await h.services.journeys.update(systemActor, 'ws-card', {
      key: 'ws-card',
      name: 'Renamed meanwhile',
      stages: [{ key: 'apply', name: 'Apply' }],
    });
    const res = await agent
      .post('/dashboard/edit/journey/ws-card')
      .type('form')
      .send({ csrf, version, name: 'Stale', 'stages[0].key': 'apply', 'stages[0].name': 'Apply' });
    expect(res.status).toBe(409);
    expect(res.text).toContain('is at version 2');
    expect((await h.services.journeys.get('ws-card')).name).toBe('Renamed meanwhile');
  });

  it('when a form comes without the session CSRF token, then it is refused and nothing is stored', async () => {
    const { agent } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/journey')
      .type('form')
      .send({ csrf: 'forged', key: 'ws-forged', name: 'x', 'stages[0].key': 'a1', 'stages[0].name': 'A' });
    expect(res.status).toBe(403);
    expect(await h.services.journeys.repo.getByKey('ws-forged')).toBeNull();
  });

  it('when a viewer opens a definition, then it is shown without edit controls and an edit post is refused', async () => {
    const { agent, csrf } = await signedIn(h.keys.viewer);
    const page = await agent.get(`/dashboard/edit/experiment/${experimentBody.key}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="experiment-form"');
    expect(page.text).not.toContain('data-testid="save"');
    expect(page.text).not.toContain('data-testid="lifecycle-');
    const res = await agent
      .post(`/dashboard/edit/journey/${journeyBody.key}`)
      .type('form')
      .send({ csrf, name: 'Hijacked', 'stages[0].key': 'apply', 'stages[0].name': 'Apply' });
    expect(res.status).toBe(403);
    expect((await h.services.journeys.get(journeyBody.key)).name).toBe(journeyBody.name);
  });
});

describe('the workspace pages', () => {
  it('when a timing nudge is opened with a time zone and a time, then each variant shows the deliverAt the assignment gives', async () => {
    const rule = { delayMinutes: 30, localHour: 9, weekdays: ['mon', 'tue'] as ('mon' | 'tue')[] };
    await h.services.nudges.create(systemActor, {
      key: 'ws-timing',
      touchpoint: touchpointBody.key,
      type: 'timing',
      name: 'Morning reminder',
      principle: 'Attention is highest at the start of the working day.',
      variants: [
        { key: 'control', name: 'Now', payload: { delayMinutes: 0 } },
        { key: 'morning', name: 'Next morning', payload: rule },
      ],
    });
    const { agent } = await signedIn(h.keys.viewer);
    const at = '2026-03-06T18:00:00.000Z';
    const page = await agent
      .get('/dashboard/edit/nudge/ws-timing')
      .query({ timeZone: 'Europe/Amsterdam', at });
    expect(page.status).toBe(200);
    const expected = deliverAt(new Date(at), rule, 'Europe/Amsterdam').toISOString();
    expect(expected).toBe('2026-03-09T08:00:00.000Z');
    expect(page.text).toMatch(
      new RegExp(`data-testid="deliver-at-morning">Delivered at <time>${expected}</time>`),
    );
  });

  it('when an experiment is opened with traffic and a baseline, then the planning figures are shown', async () => {
    const { agent } = await signedIn(h.keys.strategist);
    const page = await agent
      .get(`/dashboard/edit/experiment/${experimentBody.key}`)
      .query({ dailyExposures: '4000', baseline: '0.2' });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-testid="plan-mde">\d/);
    expect(page.text).toContain('data-testid="lifecycle-start"');
  });

  it('when a touchpoint is opened, then its nudges and experiments are listed', async () => {
    const { agent } = await signedIn(h.keys.strategist);
    const page = await agent.get(`/dashboard/edit/touchpoint/${touchpointBody.key}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`href="/dashboard/edit/nudge/${nudgeBody.key}"`);
    expect(page.text).toContain(`href="/dashboard/edit/experiment/${experimentBody.key}"`);
  });
});

describe('files and the browser', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nl-ws-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when a definition made in the browser is exported, then sync accepts the file and finds it unchanged', async () => {
    const { agent } = await signedIn(h.keys.strategist);
    const res = await agent.get('/dashboard/edit/experiment/ws-live/export.yaml');
    expect(res.status).toBe(200);
    await writeFile(path.join(dir, 'ws-live.yaml'), res.text);
    const result = await syncDefinitions(h.services, { dir, dryRun: true });
    expect(result.issues).toEqual([]);
    expect(result.changes.map((c) => [c.kind, c.key, c.action])).toEqual([
      ['experiment', 'ws-live', 'unchanged'],
    ]);
  });

  it('when a definition came from a file, then the browser marks it and refuses an edit with the reason', async () => {
    await writeFile(
      path.join(dir, 'synced.yaml'),
      `journeys:\n  - key: ws-synced\n    name: From a file\n    stages:\n      - key: apply\n        name: Apply\n`,
    );
    const synced = await syncDefinitions(h.services, { dir });
    expect(synced.issues).toEqual([]);
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const page = await agent.get('/dashboard/edit/journey/ws-synced');
    expect(page.text).toContain('data-testid="file-managed"');
    expect(page.text).not.toContain('data-testid="save"');
    const list = await agent.get('/dashboard/workspace');
    expect(list.text).toMatch(/data-testid="ws-journey-ws-synced"[\s\S]*?badge file/);
    const res = await agent
      .post('/dashboard/edit/journey/ws-synced')
      .type('form')
      .send({ csrf, name: 'Changed', 'stages[0].key': 'apply', 'stages[0].name': 'Apply' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('managed by a file in experiments/');
    expect((await h.services.journeys.get('ws-synced')).name).toBe('From a file');
  });

  it('when the audit log is read, then each entry says where the change came from', async () => {
    const res = await supertest(h.app).get('/v1/audit').query({ kind: 'journey' }).set(auth(h.keys.admin));
    expect(res.status).toBe(200);
    const sources = new Set(res.body.items.map((e: { source?: string }) => e.source));
    expect(sources).toEqual(new Set(['dashboard', 'sync', 'api', 'system']));
  });
});
