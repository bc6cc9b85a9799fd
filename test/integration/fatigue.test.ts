import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GrowthBook } from '@growthbook/growthbook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { signedIn } from '../helpers/dashboard-session.js';
import { journeyBody } from '../helpers/definitions.js';
import { auth, composeOn, createHarness, type Harness } from '../helpers/harness.js';
import { expectWorded } from '../helpers/page-text.js';
import { buildFatiguePolicy } from '../helpers/programme-fixtures.js';

let h: Harness;
let server: Server;
let baseUrl = '';

interface Item {
  experiment: string;
  inExperiment: boolean;
  variant: string | null;
  reason?: string;
}

const channels = { 'apply.sms': 'sms', 'apply.offer': 'web', 'apply.email': 'email', 'apply.app': 'app' };

beforeAll(async () => {
  h = await createHarness();
  const c = h.connection;
  const strategist = auth(h.keys.strategist);
  await h.request().post('/v1/journeys').set(strategist).send(journeyBody).expect(201);
  await h
    .request()
    .post('/v1/journeys')
    .set(strategist)
    .send({ key: 'telco', name: 'Telco onboarding', stages: [{ key: 'apply', name: 'Apply' }] })
    .expect(201);
  for (const [tp, channel] of Object.entries(channels)) {
    await seedTouchpoint(c, tp, channel);
    await seedNudge(c, `${tp}-nudge`, tp);
  }
  // Everybody gets the control here: control contacts must count toward the cap too.
  await seedExperiment(c, 'apply.sms-nudge', 'apply.sms', {
    key: 'sms-test',
    variants: [
      { key: 'control', weight: 1 },
      { key: 'treatment', weight: 0 },
    ],
  });
  for (const tp of ['apply.offer', 'apply.email', 'apply.app'])
    await seedExperiment(c, `${tp}-nudge`, tp, { key: `${tp.replace('.', '-')}-test` });
  await seedTouchpoint(c, 'telco.offer', 'web', 'telco');
  await seedNudge(c, 'telco-nudge', 'telco.offer');
  await seedExperiment(c, 'telco-nudge', 'telco.offer', { key: 'telco-test' });
  await h
    .request()
    .post('/v1/fatigue-policies')
    .set(strategist)
    .send(buildFatiguePolicy({ key: 'home-loan-cap', journey: 'home-loan', maxContacts: 3, windowDays: 7 }))
    .expect(201);
  await h.services.capture.assignments.refresh();
  server = createHttpServer(h.app).listen(0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

async function assign(customerId: string, touchpoint: string, channel: string): Promise<Item> {
  const res = await h
    .request()
    .post('/v1/assignments')
    .set(auth(h.keys.app))
    .send({ customerId, touchpoint, channel });
  expect(res.status).toBe(200);
  return res.body.assignments[0] as Item;
}

describe('fatigue caps', () => {
  it('when a customer reaches the cap across channels, then further touchpoints of the journey answer the default with reason fatigue, control contacts counted', async () => {
    const sms = await assign('c-1', 'apply.sms', 'sms');
    expect(sms).toMatchObject({ inExperiment: true, variant: 'control' });
    expect((await assign('c-1', 'apply.offer', 'web')).inExperiment).toBe(true);
    // Seen again the same day: the same contact, not a new one.
    expect((await assign('c-1', 'apply.offer', 'web')).inExperiment).toBe(true);
    expect((await assign('c-1', 'apply.email', 'email')).inExperiment).toBe(true);
    const capped = await assign('c-1', 'apply.app', 'app');
    expect(capped).toMatchObject({ inExperiment: false, variant: null, payload: null, reason: 'fatigue' });
    // Contacts already counted today still answer their variant; another journey is not capped.
    expect((await assign('c-1', 'apply.offer', 'web')).inExperiment).toBe(true);
    expect((await assign('c-1', 'telco.offer', 'web')).inExperiment).toBe(true);

    const state = await h.request().get('/v1/fatigue/c-1').set(auth(h.keys.app));
    expect(state.status).toBe(200);
    expect(state.body).toEqual({
      customerId: 'c-1',
      policies: [
        {
          key: 'home-loan-cap',
          journey: 'home-loan',
          contacts: 3,
          maxContacts: 3,
          windowDays: 7,
          capped: true,
        },
      ],
      attributes: { fatigueCapped: ['home-loan-cap'] },
    });

    // The contacts are stored: another instance on the same database applies the cap as well.
    await h.services.capture.fatigue.flush();
    const stored = await h.connection.collection('fatigue_contacts').findOne({ _id: 'c-1' as never });
    expect(((stored?.c ?? []) as string[]).map((e) => e.split('|').slice(1).join('|')).sort()).toEqual([
      'home-loan|apply.email',
      'home-loan|apply.offer',
      'home-loan|apply.sms',
    ]);
    const other = composeOn(h.connection);
    try {
      await other.services.capture.assignments.refresh();
      const answer = await other.services.capture.assignments.assign({
        customerId: 'c-1',
        touchpoint: 'apply.app',
        channel: 'app',
      });
      expect(answer.assignments[0]).toMatchObject({ inExperiment: false, reason: 'fatigue' });
    } finally {
      await other.close();
    }
  });

  it('when the contacts are older than the window, then they no longer count', async () => {
    const days = (n: number) => new Date(Date.now() - n * 86_400_000);
    const service = h.services.capture.assignments;
    const ask = (touchpoint: string, at: Date) =>
      service.assign(
        { customerId: 'c-2', touchpoint, channel: channels[touchpoint as keyof typeof channels] },
        at,
      );
    await ask('apply.sms', days(9));
    await ask('apply.offer', days(8));
    await ask('apply.email', days(7));
    // 7 days ago is outside a 7-day window (today and the 6 days before): one contact counts.
    const today = await ask('apply.app', new Date());
    expect(today.assignments[0]?.inExperiment).toBe(true);
    const state = await h.request().get('/v1/fatigue/c-2').set(auth(h.keys.viewer));
    expect(state.body.policies[0]).toMatchObject({ contacts: 1, capped: false });
  });

  it.each([
    {
      lang: 'ru',
      words: [
        'Усталость: клиенты, достигшие лимита',
        'все клиенты с учтёнными контактами',
        'Доля достигших лимита',
      ],
    },
    {
      lang: 'pt',
      words: [
        'Fadiga: clientes no limite',
        'todos os clientes com contatos contabilizados',
        'Parcela no limite',
      ],
    },
  ])(
    'when the portfolio is opened with lang=$lang, then its fatigue section is in that language with the same shares as in English',
    async ({ lang, words }) => {
      const { agent } = await signedIn(h.app, h.keys.viewer);
      const section = (text: string) =>
        /<section class="ranking fatigue"[\s\S]*?<\/section>/.exec(text)?.[0] ?? '';
      const en = section((await agent.get('/dashboard/portfolio?lang=en')).text);
      const page = await agent.get(`/dashboard/portfolio?lang=${lang}`);
      expect(page.status).toBe(200);
      const worded = section(page.text);
      expectWorded(worded, words, [
        'Fatigue: customers at the cap',
        'Per journey and channel',
        'every customer with counted contacts',
        'Share at the cap',
        'Customers contacted',
      ]);
      const shares = [...en.matchAll(/data-testid="(fatigue-share-[^"]+)">(\d+)\.(\d)%</g)];
      expect(shares.length).toBeGreaterThan(0);
      // Russian writes 25,0 % (a no-break space before the sign), Portuguese 25,0%.
      const sign = lang === 'ru' ? '\u00a0%' : '%';
      for (const [, id, whole, tenth] of shares)
        expect(worded).toContain(`data-testid="${id}">${whole},${tenth}${sign}<`);
    },
  );

  it('when a GrowthBook SDK evaluates locally, then the cap state passed as an attribute gives the default', async () => {
    const clientKey = (await h.services.apiKeys.list()).find((k) => k.role === 'app')?.clientKey as string;
    const gb = new GrowthBook({ apiHost: baseUrl, clientKey });
    expect((await gb.init({ timeout: 5000 })).success).toBe(true);
    const state = await h.request().get('/v1/fatigue/c-1').set(auth(h.keys.app));
    await gb.setAttributes({ customerId: 'c-1', channel: 'app', ...state.body.attributes });
    expect(gb.getFeatureValue('apply.app', null)).toBeNull();
    expect(gb.getFeatureValue('telco.offer', null)).not.toBeNull();
    await gb.setAttributes({ customerId: 'c-1', channel: 'app' });
    expect(gb.getFeatureValue('apply.app', null)).toMatchObject({ experiment: 'apply-app-test' });
    gb.destroy();
  });

  it('refuses a policy on an unknown journey and lets only strategists write policies', async () => {
    const bad = await h
      .request()
      .post('/v1/fatigue-policies')
      .set(auth(h.keys.strategist))
      .send(buildFatiguePolicy({ key: 'nowhere', journey: 'no-such-journey' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].path).toBe('journey');
    const app = await h
      .request()
      .post('/v1/fatigue-policies')
      .set(auth(h.keys.app))
      .send(buildFatiguePolicy());
    expect(app.status).toBe(403);
    const listed = await h.request().get('/v1/fatigue-policies').set(auth(h.keys.viewer));
    expect(listed.body.items.map((p: { key: string }) => p.key)).toEqual(['home-loan-cap']);
  });
});
