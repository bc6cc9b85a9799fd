import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GrowthBook } from '@growthbook/growthbook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let server: Server;
let baseUrl = '';
let clientKey = '';

beforeAll(async () => {
  h = await createHarness();
  const c = h.connection;
  await seedTouchpoint(c, 'apply.offer');
  for (const n of ['offer-a', 'offer-b', 'offer-c', 'offer-free'])
    await seedNudge(c, n, 'apply.offer', ['control', 'one', 'two']);
  const three = [
    { key: 'control', weight: 0.5 },
    { key: 'one', weight: 0.3 },
    { key: 'two', weight: 0.2 },
  ];
  await seedExperiment(c, 'offer-a', 'apply.offer', {
    key: 'offer-a',
    variants: three,
    startedAt: '2026-01-01T00:00:00.000Z',
  });
  await seedExperiment(c, 'offer-b', 'apply.offer', {
    key: 'offer-b',
    coverage: 0.6,
    targeting: { segment: { $in: ['gold', 'silver'] } },
    startedAt: '2026-01-02T00:00:00.000Z',
    qaOverrides: [{ customerId: 'cust-7', variant: 'one' }],
    variants: three,
  });
  await seedExperiment(c, 'offer-c', 'apply.offer', {
    key: 'offer-c',
    status: 'paused',
    startedAt: '2026-01-03T00:00:00.000Z',
  });
  await seedExperiment(c, 'offer-free', 'apply.offer', {
    key: 'offer-free',
    overlap: true,
    coverage: 0.5,
    variants: three,
  });
  await seedTouchpoint(c, 'renew.b2b');
  await seedNudge(c, 'b2b-frame', 'renew.b2b');
  await seedExperiment(c, 'b2b-frame', 'renew.b2b', { key: 'b2b-frame', unit: 'accountId' });
  await h.services.capture.assignments.refresh();
  // Attribution behind 30,000 exposures is not what this test is about.
  await h.services.capture.attribution.stop();
  clientKey = (await h.services.apiKeys.list()).find((k) => k.role === 'app')?.clientKey as string;
  server = createHttpServer(h.app).listen(0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

interface Item {
  experiment: string;
  touchpoint: string;
  inExperiment: boolean;
  variant: string | null;
}

function attributesOf(i: number) {
  const segments = ['gold', 'silver', 'bronze', 'none'];
  return { segment: segments[i % 4] as string, accountId: `acc-${i % 997}` };
}

async function serverAnswers(n: number): Promise<Item[][]> {
  const out: Item[][] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${baseUrl}/v1/assignments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${h.keys.app}` },
        body: JSON.stringify({
          customerId: `cust-${i}`,
          touchpoints: ['apply.offer', 'renew.b2b'],
          channel: 'web',
          attributes: attributesOf(i),
        }),
      });
      out[i] = ((await res.json()) as { assignments: Item[] }).assignments;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out;
}

function pick(value: unknown): string | null {
  const v = value as { experiment?: string; variant?: string } | null;
  return v ? `${v.experiment}:${v.variant}` : null;
}

describe('GrowthBook SDK agreement', () => {
  it('assigns 10,000 customers exactly as /v1/assignments does, from the served payload', {
    timeout: 120_000,
  }, async () => {
    const n = 10_000;
    const answers = await serverAnswers(n);
    const gb = new GrowthBook({ apiHost: baseUrl, clientKey });
    const init = await gb.init({ timeout: 5000 });
    expect(init.success).toBe(true);
    expect(Object.keys(gb.getFeatures()).sort()).toEqual([
      'apply.offer',
      'apply.offer/offer-free',
      'renew.b2b',
    ]);
    const tally = new Map<string, number>();
    let mismatches = 0;
    // QA overrides are applied by /v1/assignments only: the served payload carries no QA customer ids.
    const qaCustomers = new Set(['cust-7']);
    for (let i = 0; i < n; i++) {
      if (qaCustomers.has(`cust-${i}`)) continue;
      await gb.setAttributes({ customerId: `cust-${i}`, channel: 'web', ...attributesOf(i) });
      const items = answers[i] ?? [];
      const exclusive = items.find(
        (a) => a.touchpoint === 'apply.offer' && a.inExperiment && a.experiment !== 'offer-free',
      );
      const free = items.find((a) => a.experiment === 'offer-free');
      const b2b = items.find((a) => a.experiment === 'b2b-frame');
      const server = [
        exclusive ? `${exclusive.experiment}:${exclusive.variant}` : null,
        free?.inExperiment ? `offer-free:${free.variant}` : null,
        b2b?.inExperiment ? `b2b-frame:${b2b.variant}` : null,
      ];
      const sdk = [
        pick(gb.getFeatureValue('apply.offer', null)),
        pick(gb.getFeatureValue('apply.offer/offer-free', null)),
        pick(gb.getFeatureValue('renew.b2b', null)),
      ];
      if (JSON.stringify(server) !== JSON.stringify(sdk)) mismatches++;
      for (const s of server)
        if (s) tally.set(s.split(':')[0] as string, (tally.get(s.split(':')[0] as string) ?? 0) + 1);
    }
    gb.destroy();
    expect(mismatches).toBe(0);
    // Every path was exercised: both exclusive experiments, the overlapping one, the account unit.
    expect(tally.get('offer-a')).toBeGreaterThan(1000);
    expect(tally.get('offer-b')).toBeGreaterThan(500);
    expect(tally.get('offer-free')).toBeGreaterThan(3000);
    expect(tally.get('b2b-frame')).toBe(n - qaCustomers.size);
    expect(answers[7]?.find((a) => a.experiment === 'offer-b')).toMatchObject({
      variant: 'one',
      inExperiment: true,
    });
  });
});
