import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentBody } from '../../src/http/dashboard/experiment.page.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import {
  exposure,
  hours,
  insertExperiment,
  standardMetrics,
  storeExposures,
} from '../helpers/readout-fixtures.js';

let h: Harness;
const at = new Date(Date.now() - 3600_000).toISOString();
const send = (body: unknown) =>
  h
    .request()
    .post('/v1/events')
    .set(auth(h.keys.app))
    .send(body as object);

beforeAll(async () => {
  h = await createHarness();
  const exp = await insertExperiment(h.connection, 'card-activation', {
    metrics: [{ ...standardMetrics[0]!, key: 'activated', name: 'Card activated', event: 'card_activated' }],
  });
  await storeExposures(h.connection, [exposure(exp, 'cust-1', 'treatment', hours(0))]);
});
afterAll(async () => {
  await h.close();
});

describe('events no experiment reads', () => {
  it('when an event name is misspelt, then the answer lists it as unmatched, /metrics counts it and the readout asks "did you mean"', async () => {
    const res = await send({
      events: [
        { eventId: 'u-1', customerId: 'cust-1', type: 'conversion', name: 'card-activated', occurredAt: at },
        { eventId: 'u-2', customerId: 'cust-1', type: 'conversion', name: 'card_activated', occurredAt: at },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.unmatched).toEqual([{ name: 'card-activated', events: 1 }]);

    const metrics = await h.request().get('/metrics').set(auth(h.keys.admin));
    expect(metrics.text).toMatch(/^nudgelab_events_unmatched_total [1-9]\d*$/m);

    const readout = await h.request().get('/v1/experiments/card-activation/readout').set(auth(h.keys.viewer));
    expect(readout.body.eventSuggestions).toEqual([
      { metric: 'Card activated', expected: 'card_activated', seen: 'card-activated', events: 1 },
    ]);
    const page = String(experimentBody(readout.body, { printing: false }));
    expect(page).toContain('Did you mean "card_activated"?');
  });

  it('when a near-miss name comes only from customers of no experiment, then the readout does not suggest it', async () => {
    await send({
      eventId: 'u-3',
      customerId: 'stranger',
      type: 'conversion',
      name: 'card_activate',
      occurredAt: at,
    });
    const readout = await h.request().get('/v1/experiments/card-activation/readout').set(auth(h.keys.viewer));
    expect(readout.body.eventSuggestions.map((s: { seen: string }) => s.seen)).not.toContain('card_activate');
  });

  it('when a single event fails validation, then the answer is a 400 with the error shape, one field per message', async () => {
    const res = await send({ eventId: 'bad-1', type: 'csat', value: 9, occurredAt: at });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.requestId).toBeTruthy();
    const fields = res.body.error.details.fields as { path: string; reason: string }[];
    expect(fields.map((f) => f.path).sort()).toEqual(['customerId', 'value']);
    for (const f of fields) expect(f.reason).not.toMatch(/customerId|value/);
  });

  it('when one item of a batch has two bad fields, then each rejection names one field', async () => {
    const res = await send({
      events: [{ eventId: 'bad-2', type: 'csat', value: 9, occurredAt: at }],
    });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toHaveLength(2);
    for (const r of res.body.rejected) {
      expect(r.index).toBe(0);
      // The message is about its own field only: it never names another one.
      expect(r.message).not.toMatch(r.field === 'value' ? /customerId/ : /value:|\bvalue\b/);
      expect(r.message).not.toContain(';');
    }
    expect(res.body.rejected.map((r: { field: string }) => r.field).sort()).toEqual(['customerId', 'value']);
  });
});
