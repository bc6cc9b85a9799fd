import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey, eventModel } from '../../src/db/models/event.model.js';
import { systemActor } from '../../src/domain/roles.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const at = new Date(Date.now() - 3600_000).toISOString();
const send = (body: unknown, key = h.keys.app) =>
  h
    .request()
    .post('/v1/events')
    .set(auth(key))
    .send(body as object);
const stored = (ids: string[]) =>
  eventModel(h.connection)
    .find({ eventId: { $in: ids } })
    .lean();

describe('POST /v1/events', () => {
  it('stores one event and answers accepted after the write', async () => {
    const res = await send({
      eventId: 'e-single',
      customerId: 'c1',
      type: 'conversion',
      name: 'applied',
      occurredAt: at,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
      unmatched: [{ name: 'applied', events: 1 }],
    });
    const [doc] = await stored(['e-single']);
    expect(doc).toMatchObject({ customerId: 'c1', type: 'conversion', name: 'applied' });
    expect(doc?.occurredAt.toISOString()).toBe(at);
  });

  it('counts duplicates inside one batch and across batches, and a resent batch changes nothing', async () => {
    const batch = {
      events: [
        { eventId: 'd-1', customerId: 'c1', type: 'csat', value: 4, occurredAt: at },
        { eventId: 'd-2', customerId: 'c2', type: 'nps', value: 9, occurredAt: at },
        { eventId: 'd-1', customerId: 'c1', type: 'csat', value: 1, occurredAt: at },
      ],
    };
    const first = await send(batch);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 1, rejected: [] });
    const again = await send(batch);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 3, rejected: [] });
    const docs = await stored(['d-1', 'd-2']);
    expect(docs).toHaveLength(2);
    expect(docs.find((d) => d.eventId === 'd-1')?.value).toBe(4);
    const mixed = await send({ events: [batch.events[1], { ...batch.events[1], eventId: 'd-3' }] });
    expect(mixed.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: [] });
  });

  it('stores the valid items of a mixed batch and none of the invalid ones, naming index and field', async () => {
    const res = await send({
      events: [
        { eventId: 'm-ok-1', customerId: 'c1', type: 'ces', value: 7, occurredAt: at },
        { eventId: 'm-bad-1', type: 'csat', value: 3, occurredAt: at },
        { eventId: 'm-bad-2', customerId: 'c1', type: 'csat', value: 6, occurredAt: at },
        {
          eventId: 'm-bad-3',
          customerId: 'c1',
          type: 'conversion',
          name: 'x',
          occurredAt: new Date(Date.now() + 10 * 60_000).toISOString(),
        },
        {
          eventId: 'm-bad-4',
          customerId: 'c1',
          type: 'metric',
          name: 'x',
          value: 1,
          occurredAt: at,
          properties: { $where: 1 },
        },
        { eventId: 'm-bad-5', customerId: 'c1', type: 'refund', occurredAt: at },
        {
          eventId: 'm-ok-2',
          customerId: 'c1',
          type: 'revenue',
          amount: 120.5,
          currency: 'EUR',
          occurredAt: at,
          properties: { plan: 'gold' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
      [1, 'customerId'],
      [2, 'value'],
      [3, 'occurredAt'],
      [4, 'properties.$where'],
      [5, 'type'],
    ]);
    expect(res.body.rejected[0].code).toBe('validation_failed');
    const docs = await stored(['m-ok-1', 'm-ok-2', 'm-bad-1', 'm-bad-2', 'm-bad-3', 'm-bad-4', 'm-bad-5']);
    expect(docs.map((d) => d.eventId).sort()).toEqual(['m-ok-1', 'm-ok-2']);
    expect(docs.find((d) => d.eventId === 'm-ok-2')).toMatchObject({
      value: 120.5,
      currency: 'EUR',
      name: 'revenue',
    });
  });

  it('accepts every type at its bounds and rejects one past them', async () => {
    const cases: [Record<string, unknown>, boolean][] = [
      [{ type: 'csat', value: 1 }, true],
      [{ type: 'csat', value: 5 }, true],
      [{ type: 'csat', value: 0 }, false],
      [{ type: 'csat', value: 4.5 }, false],
      [{ type: 'nps', value: 0 }, true],
      [{ type: 'nps', value: 10 }, true],
      [{ type: 'nps', value: 11 }, false],
      [{ type: 'nps', value: -1 }, false],
      [{ type: 'ces', value: 1 }, true],
      [{ type: 'ces', value: 7 }, true],
      [{ type: 'ces', value: 8 }, false],
      [{ type: 'revenue', amount: 0, currency: 'USD' }, true],
      [{ type: 'revenue', amount: 10, currency: 'usd' }, false],
      [{ type: 'revenue', amount: 10 }, false],
      [{ type: 'conversion', name: 'applied' }, true],
      [{ type: 'conversion' }, false],
      [{ type: 'metric', name: 'time-on-page', value: -3.5 }, true],
      [{ type: 'metric', name: 'time-on-page', value: '3' }, false],
      [{ type: 'conversion', name: 'a', occurredAtOffset: 4 * 60_000 }, true],
      [{ type: 'conversion', name: 'a', occurredAtOffset: 6 * 60_000 }, false],
    ];
    const events = cases.map(([fields], i) => {
      const { occurredAtOffset, ...rest } = fields as { occurredAtOffset?: number };
      const when =
        occurredAtOffset === undefined ? at : new Date(Date.now() + occurredAtOffset).toISOString();
      return { eventId: `b-${i}`, customerId: 'c9', occurredAt: when, ...rest };
    });
    const res = await send({ events });
    const rejected = new Set(res.body.rejected.map((r: { index: number }) => r.index));
    const outcome = cases.map((_, i) => ({ i, ok: !rejected.has(i) }));
    expect(outcome).toEqual(cases.map(([, ok], i) => ({ i, ok })));
    expect(res.body.accepted).toBe(cases.filter(([, ok]) => ok).length);
  });

  it('refuses a batch over 1,000 items, an empty batch and a body over 5 MB, storing nothing', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({
      eventId: `big-${i}`,
      customerId: 'c',
      type: 'conversion',
      name: 'a',
      occurredAt: at,
    }));
    const over = await send({ events: many });
    expect(over.status).toBe(400);
    expect(over.body.error.details.fields[0].path).toBe('events');
    expect((await send({ events: [] })).status).toBe(400);
    const huge = await send({
      eventId: 'huge',
      customerId: 'c',
      type: 'conversion',
      name: 'a',
      occurredAt: at,
      properties: { note: 'x'.repeat(6 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    expect(await stored(['big-0', 'huge'])).toHaveLength(0);
  });

  it('takes a full batch of 1,000 events of about 2 KB each (over the general 1 MB limit)', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({
      eventId: `full-${i}`,
      customerId: `c${i}`,
      type: 'conversion',
      name: 'applied',
      occurredAt: at,
      properties: { a: 'y'.repeat(900), b: 'z'.repeat(900) },
    }));
    const res = await send({ events });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1000);
    expect(
      await eventModel(h.connection).countDocuments({ eventId: { $in: events.map((e) => e.eventId) } }),
    ).toBe(1000);
  });

  it('when two app keys send the same eventId, then each is stored in its own namespace and neither claims the other', async () => {
    const other = await h.services.apiKeys.create(systemActor, { name: 'events-source-two', role: 'app' });
    const mine = await h.services.apiKeys.authenticate(h.keys.app);
    const event = (customerId: string) => ({
      eventId: 'shared-7',
      customerId,
      type: 'conversion',
      name: 'applied',
      occurredAt: at,
    });
    // The other source sends first: with one global id space this would pre-claim the id.
    // (`applied` is read by no experiment here, so the answers also list it as unmatched.)
    expect((await send(event('from-other'), other.secret)).body).toMatchObject({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
    expect((await send(event('from-mine'))).body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });
    // A resend stays a duplicate within its own source.
    expect((await send(event('from-mine'))).body).toMatchObject({ accepted: 0, duplicates: 1, rejected: [] });
    const docs = await stored(['shared-7']);
    expect(docs.map((d) => [d._id, d.source, d.customerId]).sort()).toEqual(
      [
        [eventKey(other.key.id, 'shared-7'), other.key.id, 'from-other'],
        [eventKey(mine?.keyId ?? '', 'shared-7'), mine?.keyId, 'from-mine'],
      ].sort(),
    );
  });

  it('lets only app and admin keys send events', async () => {
    const body = { eventId: 'role-1', customerId: 'c', type: 'conversion', name: 'a', occurredAt: at };
    expect((await h.request().post('/v1/events').send(body)).status).toBe(401);
    expect((await send(body, h.keys.viewer)).status).toBe(403);
    expect((await send(body, h.keys.strategist)).status).toBe(403);
    expect((await send(body, h.keys.admin)).body.accepted).toBe(1);
    expect((await send({ ...body, eventId: 'role-2' }, h.keys.app)).body.accepted).toBe(1);
    const text = await h
      .request()
      .post('/v1/events')
      .set(auth(h.keys.app))
      .set('content-type', 'text/plain')
      .send('x');
    expect(text.status).toBe(415);
  });
});
