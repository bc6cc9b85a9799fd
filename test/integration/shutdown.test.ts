import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertRepository } from '../../src/db/alert.repository.js';
import { exposureModel } from '../../src/db/models/exposure.model.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const servers: Server[] = [];
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A webhook receiver whose handler decides when (and how) each request is answered. */
async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

async function harness(webhookUrl: string): Promise<Harness> {
  // Exposures stay buffered until close(): the flush timer never fires within a test.
  const h = await createHarness({ env: { WEBHOOK_URLS: webhookUrl }, tuning: { flushMs: 600_000 } });
  harnesses.push(h);
  return h;
}

const experiment = { key: 'checkout-banner', name: 'Checkout banner', phase: 1 };

function bufferExposure(h: Harness): void {
  h.services.capture.exposures.enqueue({
    _id: 'exp_close|1|c1',
    experiment: 'checkout-banner',
    experimentId: 'exp_close',
    phase: 1,
    variant: 'control',
    unit: 'customerId',
    unitId: 'c1',
    customerId: 'c1',
    touchpoint: 'checkout.banner',
    channel: 'web',
    exposedAt: new Date(),
    attributes: {},
    qa: false,
  });
}

describe('close()', () => {
  it('when a webhook delivery is in flight and an exposure is buffered, then close waits for the delivery, logs it and stores the exposure', async () => {
    let answer: (() => void) | undefined;
    let arrivedNow: () => void = () => undefined;
    const arrived = new Promise<void>((r) => {
      arrivedNow = r;
    });
    const url = await receiver((_req, res) => {
      answer = () => res.writeHead(200).end('ok');
      arrivedNow();
    });
    const h = await harness(url);
    bufferExposure(h);
    expect(h.services.capture.exposures.stats().buffered).toBe(1);
    const alert = await h.services.alerts.afterFailure(experiment, 3, 'boom', new Date());
    expect(alert).not.toBeNull();
    await arrived;

    let closed = false;
    const closing = h.root.close().then(() => {
      closed = true;
    });
    // The receiver has not answered: close() cannot have finished, whatever else it has done.
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    answer?.();
    await closing;

    const deliveries = await new AlertRepository(h.connection).deliveriesOf(alert!.id);
    expect(deliveries).toMatchObject([{ ok: true, httpStatus: 200, attempt: 1 }]);
    expect(await exposureModel(h.connection).countDocuments({ _id: 'exp_close|1|c1' })).toBe(1);
  });

  it('when the webhook receiver fails, then close gives up after the attempt in flight instead of waiting out the retries', async () => {
    let requests = 0;
    const url = await receiver((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    const h = await harness(url);
    const alert = await h.services.alerts.afterFailure(experiment, 3, 'boom', new Date());
    const repo = new AlertRepository(h.connection);
    // The first failed attempt is logged; the notifier now waits its backoff before a second.
    while ((await repo.deliveriesOf(alert!.id)).length === 0) await new Promise((r) => setTimeout(r, 20));
    await h.root.close();
    const deliveries = await repo.deliveriesOf(alert!.id);
    expect(deliveries).toMatchObject([{ ok: false, httpStatus: 500, attempt: 1 }]);
    expect(requests).toBe(1);
  });

  it('when called twice, then both calls resolve and the second does nothing more', async () => {
    const url = await receiver((_req, res) => res.writeHead(200).end());
    const h = await harness(url);
    bufferExposure(h);
    await Promise.all([h.root.close(), h.root.close()]);
    await h.root.close();
    expect(h.services.capture.exposures.stats()).toMatchObject({ buffered: 0, stored: 1 });
  });
});
