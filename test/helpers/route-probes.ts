import type supertest from 'supertest';
import { systemActor } from '../../src/domain/roles.js';
import { experimentBody, journeyBody, nudgeBody, seedDefinitions, touchpointBody } from './definitions.js';
import type { Harness } from './harness.js';
import { buildFatiguePolicy, buildHoldout, buildTemplate } from './programme-fixtures.js';

/** A request to one route, as an allowed caller would send it. */
export interface ProbeRequest {
  path: string;
  query?: Record<string, string>;
  body?: object;
  /** Sent as a urlencoded form (the dashboard's). */
  form?: Record<string, string>;
}

/**
 * How to call one declared route so that it succeeds (or answers one documented status), and the
 * exact status an allowed caller then gets. `build` runs once per caller before its call; `tag`
 * names what it sets up, so no two callers share a resource; `agent` carries the caller's session.
 */
export interface Probe {
  status: number;
  build(tag: string, agent: supertest.Agent): ProbeRequest | Promise<ProbeRequest>;
}

/** An experiment running beside others on the seeded touchpoint; it has one snapshot. */
export const LIVE = 'rm-live';

/** A draft holdout, a running one and a fatigue policy on the seeded journey, and one template. */
const holdoutBody = buildHoldout({ key: 'rm-holdout' });
const fatigueBody = buildFatiguePolicy({ key: 'rm-cap', journey: journeyBody.key, maxContacts: 100 });
const templateBody = buildTemplate({ key: 'rm-template' });
export const LIVE_HOLDOUT = 'rm-live-holdout';

/**
 * Definitions every probe may rely on: the seeded chain, a running experiment with a snapshot, a
 * running holdout with exposures in both arms, a draft holdout, a fatigue policy and a template.
 */
export async function seedProbeWorld(h: Harness): Promise<void> {
  await seedDefinitions(h);
  await startedExperiment(h, LIVE);
  await h.services.refresh.refresh(LIVE, 'manual');
  await h.services.holdouts.create(systemActor, holdoutBody);
  await h.services.holdouts.create(systemActor, buildHoldout({ key: LIVE_HOLDOUT, share: 0.5 }));
  await h.services.holdouts.transition(systemActor, LIVE_HOLDOUT, 'start');
  await h.services.fatiguePolicies.create(systemActor, fatigueBody);
  await h.services.templates.create(systemActor, templateBody);
  const assignments = h.services.capture.assignments;
  await assignments.refresh();
  for (let i = 0; i < 40; i++) {
    await assignments.assign({ customerId: `rm-held-${i}`, touchpoint: touchpointBody.key, channel: 'web' });
  }
  await h.services.capture.exposures.flush();
  await h.services.capture.attribution.drain();
}

/** A holdout brought to the state one lifecycle action starts from. */
async function holdoutBefore(h: Harness, action: string, key: string): Promise<void> {
  await h.services.holdouts.create(systemActor, buildHoldout({ key, share: 0.01 }));
  if (action === 'start') return;
  await h.services.holdouts.transition(systemActor, key, 'start');
  if (action === 'conclude') await h.services.holdouts.transition(systemActor, key, 'stop');
}

async function startedExperiment(h: Harness, key: string): Promise<void> {
  await h.services.experiments.create(systemActor, { ...experimentBody, key, overlap: true });
  await h.services.experiments.transition(systemActor, key, 'start');
}

/** An experiment brought to the state one lifecycle action starts from. */
async function experimentBefore(h: Harness, action: string, key: string): Promise<void> {
  if (action === 'start') {
    await h.services.experiments.create(systemActor, { ...experimentBody, key, overlap: true });
    return;
  }
  await startedExperiment(h, key);
  if (action === 'conclude') await h.services.experiments.transition(systemActor, key, 'stop');
}

async function csrfOf(agent: supertest.Agent): Promise<string> {
  const page = await agent.get('/dashboard');
  return /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
}

async function clientKey(h: Harness): Promise<string> {
  const app = (await h.services.apiKeys.list()).find((k) => k.name === 'test-app');
  return app?.clientKey ?? '';
}

const tp = (tag: string) => `home-loan.apply.rm-${tag}`;

/** The probes of every route the app declares, by `METHOD /path`. */
export function routeProbes(h: Harness): Record<string, Probe> {
  const definitions: Record<string, Probe> = {};
  const kinds = {
    journeys: {
      service: 'journeys',
      one: journeyBody,
      fresh: (tag: string) => ({ ...journeyBody, key: `rm-${tag}` }),
    },
    touchpoints: {
      service: 'touchpoints',
      one: touchpointBody,
      fresh: (tag: string) => ({ ...touchpointBody, key: tp(tag) }),
    },
    nudges: {
      service: 'nudges',
      one: nudgeBody,
      fresh: (tag: string) => ({ ...nudgeBody, key: `rm-nudge-${tag}` }),
    },
    experiments: {
      service: 'experiments',
      one: experimentBody,
      fresh: (tag: string) => ({ ...experimentBody, key: `rm-exp-${tag}` }),
    },
    holdouts: {
      service: 'holdouts',
      one: holdoutBody,
      fresh: (tag: string) => ({ ...holdoutBody, key: `rm-holdout-${tag}` }),
    },
    'fatigue-policies': {
      service: 'fatiguePolicies',
      one: fatigueBody,
      fresh: (tag: string) => ({ ...fatigueBody, key: `rm-cap-${tag}` }),
    },
  } as const;
  for (const [kind, { service: name, one, fresh }] of Object.entries(kinds)) {
    // Looked up when a probe runs: the list is also read before the harness exists.
    const service = (): { create(actor: typeof systemActor, body: unknown): Promise<unknown> } =>
      h.services[name];
    definitions[`GET /v1/${kind}`] = { status: 200, build: () => ({ path: `/v1/${kind}` }) };
    definitions[`GET /v1/${kind}/:key`] = { status: 200, build: () => ({ path: `/v1/${kind}/${one.key}` }) };
    definitions[`POST /v1/${kind}`] = {
      status: 201,
      build: (tag) => ({ path: `/v1/${kind}`, body: fresh(`new-${tag}`) }),
    };
    definitions[`PUT /v1/${kind}/:key`] = {
      status: 200,
      build: () => ({ path: `/v1/${kind}/${one.key}`, body: one }),
    };
    definitions[`DELETE /v1/${kind}/:key`] = {
      status: 204,
      build: async (tag) => {
        const body = fresh(`del-${tag}`);
        await service().create(systemActor, body);
        return { path: `/v1/${kind}/${body.key}` };
      },
    };
  }

  const lifecycle: Record<string, Probe> = {};
  for (const action of ['start', 'pause', 'stop', 'conclude']) {
    lifecycle[`POST /v1/experiments/:key/${action}`] = {
      status: 200,
      build: async (tag) => {
        const key = `rm-${action}-${tag}`;
        await experimentBefore(h, action, key);
        return { path: `/v1/experiments/${key}/${action}`, body: {} };
      },
    };
    lifecycle[`POST /v1/holdouts/:key/${action}`] = {
      status: 200,
      build: async (tag) => {
        const key = `rm-h-${action}-${tag}`;
        await holdoutBefore(h, action, key);
        return { path: `/v1/holdouts/${key}/${action}`, body: {} };
      },
    };
  }

  return {
    ...definitions,
    ...lifecycle,
    'GET /healthz': { status: 200, build: () => ({ path: '/healthz' }) },
    'GET /readyz': { status: 200, build: () => ({ path: '/readyz' }) },
    'GET /openapi.json': { status: 200, build: () => ({ path: '/openapi.json' }) },
    'GET /docs': { status: 200, build: () => ({ path: '/docs' }) },
    'GET /docs/assets/init.js': { status: 200, build: () => ({ path: '/docs/assets/init.js' }) },
    'GET /docs/assets/:name': { status: 200, build: () => ({ path: '/docs/assets/swagger-ui.css' }) },
    'GET /metrics': { status: 200, build: () => ({ path: '/metrics' }) },
    'GET /api/features/:clientKey': {
      status: 200,
      build: async () => ({ path: `/api/features/${await clientKey(h)}` }),
    },
    'POST /v1/assignments': {
      status: 200,
      build: (tag) => ({
        path: '/v1/assignments',
        body: { customerId: `c-${tag}`, touchpoint: touchpointBody.key, channel: 'web' },
      }),
    },
    'POST /v1/events': {
      status: 200,
      build: (tag) => ({
        path: '/v1/events',
        body: {
          eventId: `rm-${tag}`,
          customerId: `c-${tag}`,
          type: 'conversion',
          name: 'application_completed',
          occurredAt: new Date().toISOString(),
        },
      }),
    },
    'GET /v1/keys': { status: 200, build: () => ({ path: '/v1/keys' }) },
    'POST /v1/keys': {
      status: 201,
      build: (tag) => ({ path: '/v1/keys', body: { name: `rm-new-${tag}`, role: 'viewer' } }),
    },
    'DELETE /v1/keys/:name': {
      status: 200,
      build: async (tag) => {
        const name = `rm-del-${tag}`;
        await h.services.apiKeys.create(systemActor, { name, role: 'viewer' });
        return { path: `/v1/keys/${name}` };
      },
    },
    'GET /v1/audit': { status: 200, build: () => ({ path: '/v1/audit', query: { kind: 'journey' } }) },
    'GET /v1/experiments/:key/readout': {
      status: 200,
      build: () => ({ path: `/v1/experiments/${LIVE}/readout` }),
    },
    'GET /v1/experiments/:key/readout.csv': {
      status: 200,
      build: () => ({ path: `/v1/experiments/${LIVE}/readout.csv` }),
    },
    'POST /v1/experiments/:key/refresh': {
      status: 200,
      build: () => ({ path: `/v1/experiments/${LIVE}/refresh` }),
    },
    'POST /v1/experiments/:key/recompute': {
      status: 200,
      build: () => ({ path: `/v1/experiments/${LIVE}/recompute` }),
    },
    'GET /v1/journeys/:key/summary': {
      status: 200,
      build: () => ({ path: `/v1/journeys/${journeyBody.key}/summary` }),
    },
    'GET /v1/portfolio': { status: 200, build: () => ({ path: '/v1/portfolio' }) },
    'GET /v1/alerts': { status: 200, build: () => ({ path: '/v1/alerts', query: { status: 'all' } }) },
    'GET /v1/experiments/:key/plan': {
      status: 200,
      build: () => ({
        path: `/v1/experiments/${LIVE}/plan`,
        query: { dailyExposures: '4000', baseline: '0.2' },
      }),
    },
    'POST /v1/plans': {
      status: 200,
      build: () => ({
        path: '/v1/plans',
        body: { kind: 'conversion', baseline: 0.1, dailyExposures: 2000, lift: 0.1 },
      }),
    },
    // The print itself needs a browser (the e2e test prints one); an unknown experiment is
    // answered before any browser is involved, after the access check this matrix is about.
    'GET /v1/experiments/:key/readout.pdf': {
      status: 404,
      build: () => ({ path: '/v1/experiments/no-such-experiment/readout.pdf' }),
    },
    'GET /v1/holdouts/:key/readout': {
      status: 200,
      build: () => ({ path: `/v1/holdouts/${LIVE_HOLDOUT}/readout` }),
    },
    'GET /v1/fatigue/:customerId': { status: 200, build: (tag) => ({ path: `/v1/fatigue/c-${tag}` }) },
    'GET /v1/templates': {
      status: 200,
      build: () => ({ path: '/v1/templates', query: { type: 'reminder' } }),
    },
    'GET /v1/templates/:key': { status: 200, build: () => ({ path: `/v1/templates/${templateBody.key}` }) },
    'POST /v1/templates/:key/instantiate': {
      status: 201,
      build: (tag) => ({
        path: `/v1/templates/${templateBody.key}/instantiate`,
        body: { touchpoint: touchpointBody.key, owner: 'rm', nudgeKey: `rm-tpl-${tag}` },
      }),
    },
    'POST /v1/identities': {
      status: 201,
      build: (tag) => ({
        path: '/v1/identities',
        body: { anonymousId: `rm-anon-${tag}`, customerId: `rm-cust-${tag}` },
      }),
    },
    'GET /v1/identities/:id': { status: 200, build: (tag) => ({ path: `/v1/identities/rm-id-${tag}` }) },
    'GET /dashboard/holdouts/:key': {
      status: 200,
      build: () => ({ path: `/dashboard/holdouts/${LIVE_HOLDOUT}` }),
    },
    'GET /dashboard/templates': {
      status: 200,
      build: () => ({ path: '/dashboard/templates', query: { type: 'reminder', channel: '' } }),
    },
    'POST /dashboard/templates/:key/instantiate': {
      status: 303,
      build: async (tag, agent) => {
        // A touchpoint per caller, so each draft gets its own default keys.
        const touchpoint = `home-loan.apply.rm-tpl-${tag}`;
        await h.services.touchpoints.create(systemActor, { ...touchpointBody, key: touchpoint });
        return {
          path: `/dashboard/templates/${templateBody.key}/instantiate`,
          form: { csrf: await csrfOf(agent), touchpoint, owner: 'rm' },
        };
      },
    },
    'GET /': { status: 302, build: () => ({ path: '/' }) },
    'GET /dashboard/assets/:name': { status: 200, build: () => ({ path: '/dashboard/assets/dashboard.js' }) },
    'GET /dashboard/sign-in': { status: 200, build: () => ({ path: '/dashboard/sign-in' }) },
    'GET /dashboard/language': {
      status: 303,
      build: () => ({ path: '/dashboard/language', query: { set: 'uk', next: '/dashboard' } }),
    },
    'POST /dashboard/sign-in': {
      status: 303,
      build: async (_tag, agent) => {
        const page = await agent.get('/dashboard/sign-in');
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        return { path: '/dashboard/sign-in', form: { apiKey: h.keys.viewer, csrf } };
      },
    },
    'POST /dashboard/sign-out': {
      status: 303,
      build: async (_tag, agent) => ({ path: '/dashboard/sign-out', form: { csrf: await csrfOf(agent) } }),
    },
    'GET /dashboard': { status: 200, build: () => ({ path: '/dashboard' }) },
    'GET /dashboard/journeys/:key': {
      status: 200,
      build: () => ({ path: `/dashboard/journeys/${journeyBody.key}` }),
    },
    'GET /dashboard/experiments/:key': {
      status: 200,
      build: () => ({ path: `/dashboard/experiments/${LIVE}` }),
    },
    'GET /dashboard/experiments/:key/readout.csv': {
      status: 200,
      build: () => ({ path: `/dashboard/experiments/${LIVE}/readout.csv` }),
    },
    'GET /dashboard/portfolio': { status: 200, build: () => ({ path: '/dashboard/portfolio' }) },
    'GET /dashboard/workspace': { status: 200, build: () => ({ path: '/dashboard/workspace' }) },
    'GET /dashboard/new/:kind': {
      status: 200,
      build: () => ({ path: '/dashboard/new/nudge', query: { type: 'timing' } }),
    },
    'GET /dashboard/edit/:kind/:key': {
      status: 200,
      build: () => ({ path: `/dashboard/edit/experiment/${LIVE}` }),
    },
    'GET /dashboard/edit/:kind/:key/export.yaml': {
      status: 200,
      build: () => ({ path: `/dashboard/edit/experiment/${LIVE}/export.yaml` }),
    },
    'POST /dashboard/edit/:kind': {
      status: 303,
      build: async (tag, agent) => ({
        path: '/dashboard/edit/journey',
        form: {
          csrf: await csrfOf(agent),
          key: `rm-ws-${tag}`,
          name: 'Made in the browser',
          'stages[0].key': 'apply',
          'stages[0].name': 'Apply',
        },
      }),
    },
    'POST /dashboard/edit/:kind/:key': {
      status: 303,
      build: async (tag, agent) => {
        const key = `rm-ws-edit-${tag}`;
        await h.services.journeys.create(systemActor, { ...journeyBody, key });
        return {
          path: `/dashboard/edit/journey/${key}`,
          form: {
            csrf: await csrfOf(agent),
            name: 'Renamed',
            'stages[0].key': 'consider',
            'stages[0].name': 'Consider',
            'stages[1].key': 'apply',
            'stages[1].name': 'Apply',
          },
        };
      },
    },
    'GET /dashboard/delete/:kind/:key': {
      status: 200,
      build: () => ({ path: `/dashboard/delete/experiment/${LIVE}` }),
    },
    'POST /dashboard/delete/:kind/:key': {
      status: 303,
      build: async (tag, agent) => {
        const key = `rm-ws-del-${tag}`;
        await h.services.journeys.create(systemActor, { ...journeyBody, key });
        return { path: `/dashboard/delete/journey/${key}`, form: { csrf: await csrfOf(agent) } };
      },
    },
    'POST /dashboard/edit/experiment/:key/lifecycle': {
      status: 303,
      build: async (tag, agent) => {
        const key = `rm-ws-pause-${tag}`;
        await startedExperiment(h, key);
        return {
          path: `/dashboard/edit/experiment/${key}/lifecycle`,
          form: { csrf: await csrfOf(agent), action: 'pause' },
        };
      },
    },
  };
}
