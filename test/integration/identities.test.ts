import { type Attributes, type FeatureApiResponse, GrowthBookClient } from '@growthbook/growthbook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { auth, composeOn, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let payload: FeatureApiResponse;

/** Web and app touchpoints of one journey, an experiment on each, and one only for counting. */
const WEB = 'apply.offer';
const APP = 'apply.app';
const COUNT = 'apply.count';

beforeAll(async () => {
  h = await createHarness();
  const c = h.connection;
  await seedTouchpoint(c, WEB, 'web');
  await seedTouchpoint(c, APP, 'app');
  await seedTouchpoint(c, COUNT, 'web');
  await seedNudge(c, 'web-frame', WEB);
  await seedNudge(c, 'app-frame', APP);
  await seedNudge(c, 'count-frame', COUNT);
  await seedExperiment(c, 'web-frame', WEB, { key: 'web-frame' });
  await seedExperiment(c, 'app-frame', APP, { key: 'app-frame' });
  await seedExperiment(c, 'count-frame', COUNT, { key: 'count-frame' });
  await h.services.capture.assignments.refresh();
  const clientKey = (await h.services.apiKeys.list()).find((k) => k.role === 'app')?.clientKey as string;
  payload = (await h.request().get(`/api/features/${clientKey}`).expect(200)).body as FeatureApiResponse;
});
afterAll(async () => {
  await h.close();
});

const app = () => auth(h.keys.app);

async function variantAt(customerId: string, touchpoint: string, channel: string): Promise<string | null> {
  const res = await h.request().post('/v1/assignments').set(app()).send({ customerId, touchpoint, channel });
  expect(res.status).toBe(200);
  return (res.body.assignments as { variant: string | null }[])[0]?.variant ?? null;
}

function link(anonymousId: unknown, customerId: unknown) {
  return h.request().post('/v1/identities').set(app()).send({ anonymousId, customerId });
}

/** What the GrowthBook SDK gives an id from the served payload, with no link and no sticky document. */
function sdkVariant(feature: string, attributes: Attributes, docs?: Record<string, unknown>): string | null {
  const client = new GrowthBookClient({}).initSync({ payload });
  const ctx = docs
    ? { attributes, stickyBucketAssignmentDocs: docs as never, saveStickyBucketAssignmentDoc: async () => {} }
    : { attributes };
  const value = client.evalFeature<{ variant: string } | null>(feature, ctx).value;
  return value?.variant ?? null;
}

/** The first pair (anonymous id, customer id) that the hash puts in different variants of a touchpoint's experiment. */
function differingPair(prefix: string, touchpoint: string): [string, string] {
  for (let i = 0; i < 200; i++) {
    const a = `${prefix}-anon-${i}`;
    const c = `${prefix}-cust-${i}`;
    const va = sdkVariant(touchpoint, { customerId: a });
    const vc = sdkVariant(touchpoint, { customerId: c });
    if (va && vc && va !== vc) return [a, c];
  }
  throw new Error('no differing pair in 200 tries');
}

describe('one customer across devices', () => {
  it('when an anonymous id is linked to a customer, then both ids answer the anonymous id’s first variant on every channel, and the customer’s own elsewhere', async () => {
    const [anon, cust] = differingPair('sticky', WEB);
    const first = await variantAt(anon, WEB, 'web');
    const customerByHash = sdkVariant(WEB, { customerId: cust });
    expect(first).not.toBe(customerByHash);

    const res = await link(anon, cust);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ anonymousId: anon, customerId: cust, created: true, splits: [] });
    expect(res.body.kept).toEqual([{ experiment: 'web-frame', variant: first }]);

    // The signed-in customer, on the web and through the app, keeps what the anonymous visitor saw.
    expect(await variantAt(cust, WEB, 'web')).toBe(first);
    expect(await variantAt(cust, WEB, 'app')).toBe(first);
    expect(await variantAt(anon, WEB, 'web')).toBe(first);
    // Where the anonymous id was never exposed, both ids answer the customer's own variant.
    const appVariant = sdkVariant(APP, { customerId: cust });
    expect(await variantAt(anon, APP, 'app')).toBe(appVariant);
    expect(await variantAt(cust, APP, 'app')).toBe(appVariant);
    const answer = await h
      .request()
      .post('/v1/assignments')
      .set(app())
      .send({ customerId: anon, touchpoint: APP, channel: 'app' });
    expect(answer.body.resolvedCustomerId).toBe(cust);
  });

  it('when an SDK evaluates locally with the resolved customer id and the sticky-bucket documents, then it answers as the server does', async () => {
    const [anon, cust] = differingPair('sdk', WEB);
    const first = await variantAt(anon, WEB, 'web');
    expect((await link(anon, cust)).status).toBe(201);
    const view = await h
      .request()
      .get(`/v1/identities/${encodeURIComponent(anon)}`)
      .set(app());
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: anon, customerId: cust, aliases: [anon], linked: true });
    const docs = view.body.stickyBucketAssignmentDocs as Record<string, unknown>;
    expect(sdkVariant(WEB, { customerId: cust }, docs)).toBe(first);
    // Without the documents the SDK hashes the customer id and would disagree.
    expect(sdkVariant(WEB, { customerId: cust })).not.toBe(first);
    const unknown = await h.request().get('/v1/identities/never-linked').set(app());
    expect(unknown.body).toEqual({
      id: 'never-linked',
      customerId: 'never-linked',
      aliases: [],
      linked: false,
      stickyBucketAssignmentDocs: {},
    });
  });

  it('when another instance made the link, then this one answers the customer’s variants once it has polled the link log', async () => {
    const other = composeOn(h.connection);
    try {
      const [anon, cust] = differingPair('poll', WEB);
      const first = await variantAt(anon, WEB, 'web');
      await other.services.capture.assignments.refresh();
      await other.services.capture.directory.ready();
      expect((await link(anon, cust)).status).toBe(201);
      await other.services.capture.directory.poll();
      const res = await other.services.capture.assignments.assign({
        customerId: cust,
        touchpoint: WEB,
        channel: 'app',
      });
      expect(res.assignments[0]?.variant).toBe(first);
      expect(res.resolvedCustomerId).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe('links made at once', () => {
  it('when many links arrive at once, then another instance learns every one from the link log', async () => {
    const pairs = Array.from({ length: 16 }, (_, i) => [`burst-anon-${i}`, `burst-cust-${i}`] as const);
    const answers = await Promise.all(pairs.map(([anon, cust]) => link(anon, cust)));
    expect(answers.map((r) => r.status)).toEqual(pairs.map(() => 201));
    // A fresh instance builds its directory from the log alone: a lost log entry is a lost link.
    const other = composeOn(h.connection);
    try {
      await other.services.capture.directory.ready();
      expect(pairs.map(([anon]) => other.services.capture.directory.resolve(anon))).toEqual(
        pairs.map(([, cust]) => cust),
      );
    } finally {
      await other.close();
    }
  });

  it('when several ids of one customer are linked at once, then the customer keeps every one', async () => {
    const anons = Array.from({ length: 8 }, (_, i) => `multi-anon-${i}`);
    const answers = await Promise.all(anons.map((anon) => link(anon, 'multi-cust')));
    expect(answers.map((r) => r.status)).toEqual(anons.map(() => 201));
    const stored = await h.connection
      .db!.collection<{ _id: string; aliases?: string[] }>('identities')
      .findOne({
        _id: 'multi-cust',
      });
    expect([...(stored?.aliases ?? [])].sort()).toEqual([...anons].sort());
  });
});

describe('outcomes of linked ids in the readout', () => {
  const shown = new Map<string, string>();
  let merged: [string, string];
  let split: [string, string];
  const plain = 'count-plain-1';

  it('when the exposures and events of two linked ids arrive, then the readout counts the unit once and its conversion once', async () => {
    // Pair 1: anonymous first, linked, then the customer (answered the kept variant): one unit, merged.
    merged = ['count-m-anon', 'count-m-cust'];
    shown.set(merged[0], (await variantAt(merged[0], COUNT, 'web')) as string);
    expect((await link(...merged)).status).toBe(201);
    expect(await variantAt(merged[1], COUNT, 'app')).toBe(shown.get(merged[0]));
    // Pair 2: both exposed apart in different variants before the link: split, the customer's kept.
    split = differingPair('count-s', COUNT);
    for (const id of split) shown.set(id, (await variantAt(id, COUNT, 'web')) as string);
    const linked = await link(...split);
    expect(linked.body.splits).toEqual([
      { experiment: 'count-frame', kept: shown.get(split[1]), alsoShown: shown.get(split[0]) },
    ]);
    shown.set(plain, (await variantAt(plain, COUNT, 'web')) as string);

    const at = new Date().toISOString();
    const events = [
      ...merged.map((id, i) => ({ eventId: `m-${i}`, customerId: id, type: 'conversion', name: 'applied' })),
      { eventId: 's-0', customerId: split[0], type: 'conversion', name: 'applied' },
    ].map((e) => ({ ...e, occurredAt: at }));
    expect((await h.request().post('/v1/events').set(app()).send({ events })).body.accepted).toBe(3);
    await h.services.capture.exposures.flush();

    const snapshot = await h.services.refresh.refresh('count-frame', 'manual');
    // Expected from what each id was answered: pair 1 in the anonymous id's variant, pair 2 in the
    // customer's, the plain customer in its own; one conversion each for the two pairs.
    const units = [shown.get(merged[0]), shown.get(split[1]), shown.get(plain)];
    const expected: Record<string, { n: number; conversions: number }> = {
      control: { n: 0, conversions: 0 },
      treatment: { n: 0, conversions: 0 },
    };
    units.forEach((v, i) => {
      const row = expected[v as string]!;
      row.n++;
      if (i < 2) row.conversions++;
    });
    expect(snapshot.counts?.exposures).toEqual({
      control: expected.control!.n,
      treatment: expected.treatment!.n,
    });
    expect(snapshot.counts?.metrics.conv?.variants).toEqual(expected);
    expect(snapshot.identityConflicts).toMatchObject({ splitUnits: 1, mergedUnits: 1, refusedClaims: 0 });
    expect(snapshot.identityConflicts?.examples).toEqual([
      expect.objectContaining({
        kind: 'split',
        anonymousId: split[0],
        customerId: split[1],
        variants: { [split[1]]: shown.get(split[1]), [split[0]]: shown.get(split[0]) },
      }),
    ]);

    // The full recompute from the stored exposures and events counts the same.
    const exp = (await h.services.experiments.get('count-frame')) as { id: string };
    const before = await h.services.capture.stats.read(exp.id, 1, []);
    await h.services.recompute('count-frame');
    const after = await h.services.capture.stats.read(exp.id, 1, []);
    // A variant whose count went up and back down keeps a 0 entry incrementally; a recompute that
    // never counted it has none. Both read as 0.
    const nonZero = (n: Record<string, number>) =>
      Object.fromEntries(Object.entries(n).filter(([, v]) => v !== 0));
    expect(nonZero(after.overall.n)).toEqual(nonZero(before.overall.n));
    const keys = new Set([...Object.keys(before.overall.s), ...Object.keys(after.overall.s)]);
    for (const k of keys) expect(after.overall.s[k] ?? 0, k).toBeCloseTo(before.overall.s[k] ?? 0, 9);
  });

  it('when a second customer claims a linked id, then it is refused, nothing changes, and the readout reports the claim once', async () => {
    const claim = await link(merged[0], 'count-intruder');
    expect(claim.status).toBe(409);
    expect(claim.body.error).toMatchObject({
      code: 'identity_conflict',
      details: { fields: [{ path: 'anonymousId', reason: 'is linked to another customer' }] },
    });
    expect((await link(merged[0], 'count-intruder')).status).toBe(409);
    const view = await h.request().get(`/v1/identities/${merged[0]}`).set(app());
    expect(view.body.customerId).toBe(merged[1]);
    expect(await variantAt(merged[0], COUNT, 'web')).toBe(shown.get(merged[0]));
    const readout = await (async () => {
      await h.services.refresh.refresh('count-frame', 'manual');
      return (await h.request().get('/v1/experiments/count-frame/readout').set(auth(h.keys.viewer))).body;
    })();
    expect(readout.identityConflicts).toMatchObject({ splitUnits: 1, mergedUnits: 1, refusedClaims: 1 });
    expect(readout.identityConflicts.examples).toContainEqual(
      expect.objectContaining({
        kind: 'claim',
        anonymousId: merged[0],
        customerId: merged[1],
        claimedBy: 'count-intruder',
      }),
    );
  });

  it('when the same link is sent again, then it answers 200 and changes no count', async () => {
    const exp = (await h.services.experiments.get('count-frame')) as { id: string };
    const before = await h.services.capture.stats.read(exp.id, 1, []);
    const again = await link(...merged);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ anonymousId: merged[0], customerId: merged[1], created: false });
    expect(again.body.kept).toEqual([{ experiment: 'count-frame', variant: shown.get(merged[0]) }]);
    await h.services.capture.attribution.drain();
    const after = await h.services.capture.stats.read(exp.id, 1, []);
    expect(after.overall).toEqual(before.overall);
  });
});

describe('bad links', () => {
  it('when a link is malformed, then it is a 400 naming the field and nothing is stored', async () => {
    const cases: [unknown, string][] = [
      [{ anonymousId: 'bad-a' }, 'customerId'],
      [{ customerId: 'bad-c' }, 'anonymousId'],
      [{ anonymousId: 7, customerId: 'bad-c' }, 'anonymousId'],
      [{ anonymousId: '', customerId: 'bad-c' }, 'anonymousId'],
      [{ anonymousId: 'bad-a', customerId: 'x'.repeat(201) }, 'customerId'],
      [{ anonymousId: 'bad-a', customerId: 'bad-a' }, 'customerId'],
      [{ anonymousId: 'bad-a', customerId: 'bad-c', extra: 1 }, '(root)'],
    ];
    for (const [body, field] of cases) {
      const res = await h
        .request()
        .post('/v1/identities')
        .set(app())
        .send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      const paths = (res.body.error.details.fields as { path: string }[]).map((f) => f.path);
      expect(paths).toContain(field);
    }
    for (const id of ['bad-a', 'bad-c']) {
      expect((await h.request().get(`/v1/identities/${id}`).set(app())).body.linked).toBe(false);
    }
  });

  it('when a link would chain ids, then it is refused with the field named and nothing changes', async () => {
    expect((await link('chain-anon', 'chain-cust')).status).toBe(201);
    const toAlias = await link('chain-other', 'chain-anon');
    expect(toAlias.status).toBe(409);
    expect(toAlias.body.error.details.fields[0].path).toBe('customerId');
    const customerAsAlias = await link('chain-cust', 'chain-third');
    expect(customerAsAlias.status).toBe(409);
    expect(customerAsAlias.body.error.details.fields[0].path).toBe('anonymousId');
    for (const id of ['chain-other', 'chain-third']) {
      expect((await h.request().get(`/v1/identities/${id}`).set(app())).body.linked).toBe(false);
    }
  });

  it('when a viewer or strategist key links ids, then it is refused', async () => {
    for (const role of ['viewer', 'strategist'] as const) {
      const res = await h
        .request()
        .post('/v1/identities')
        .set(auth(h.keys[role]))
        .send({ anonymousId: 'role-a', customerId: 'role-c' });
      expect(res.status).toBe(403);
    }
  });
});
