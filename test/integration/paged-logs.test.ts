import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRepository } from '../../src/db/alert.repository.js';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const entry = (i: number, key = `exp-${i % 7}`) => ({
  at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  actor: i % 2 ? 'sync' : 'ana',
  actorKeyId: 'key_1',
  action: 'update',
  kind: 'experiment',
  key,
  before: null,
  after: { i },
});

describe('audit log pages', () => {
  it('when entries are paged with next, then every entry comes once, newest first, and the last page says so', async () => {
    const repo = new AuditRepository(h.connection);
    const before = (await repo.list({ limit: 1000 })).items.length;
    for (let i = 0; i < 230; i++) await repo.record(entry(i, 'paged'));
    const seen: number[] = [];
    let next: string | null | undefined;
    do {
      const page = await repo.list({ key: 'paged', limit: 50, ...(next ? { before: next } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(50);
      seen.push(...page.items.map((e) => (e.after as { i: number }).i));
      next = page.next;
    } while (next);
    expect(seen).toEqual(Array.from({ length: 230 }, (_, i) => 229 - i));
    expect((await repo.list({ limit: 1000 })).items.length).toBe(Math.min(1000, before + 230));
  });

  it('when a filter matches rarely, then one call looks at a bounded number of entries and hands on a cursor', async () => {
    const scanLimit = 300;
    const repo = new AuditRepository(h.connection, scanLimit);
    await repo.record(entry(0, 'rare-old'));
    for (let i = 0; i < scanLimit + 10; i++) await repo.record(entry(i, 'common'));
    const first = await repo.list({ key: 'rare-old', limit: 10 });
    expect(first.items).toEqual([]);
    expect(first.next).toMatch(/^aud_\d{12}$/);
    const second = await repo.list({ key: 'rare-old', limit: 10, before: first.next! });
    expect(second.items.map((e) => e.key)).toEqual(['rare-old']);
  });

  it('answers GET /v1/audit with a next cursor that pages on over HTTP', async () => {
    const first = await h.request().get('/v1/audit?limit=2').set(auth(h.keys.admin));
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    const second = await h
      .request()
      .get(`/v1/audit?limit=2&before=${first.body.next}`)
      .set(auth(h.keys.admin));
    expect(second.status).toBe(200);
    expect(second.body.items[0].id < first.body.items[1].id).toBe(true);
    const bad = await h.request().get('/v1/audit?before=aud_x').set(auth(h.keys.admin));
    expect(bad.status).toBe(400);
  });

  it('when a data folder holds entries under old random ids, then they are numbered once in time order', async () => {
    const db = h.connection.useDb(`legacy_${randomBytes(4).toString('hex')}`);
    await db.collection('audit_log').insertMany(
      [3, 1, 2].map((i) => ({
        _id: `aud_${randomBytes(12).toString('base64url')}`,
        ...entry(i, 'legacy'),
        at: new Date(entry(i).at),
      })) as never[],
    );
    const repo = new AuditRepository(db);
    await repo.ensureIndexes();
    const page = await repo.list({ limit: 10 });
    expect(page.items.map((e) => [e.id, (e.after as { i: number }).i])).toEqual([
      ['aud_000000000003', 3],
      ['aud_000000000002', 2],
      ['aud_000000000001', 1],
    ]);
    await db.dropDatabase();
  });
});

describe('alerts by id', () => {
  const alert = (experiment: string, condition: string, minute: number) => ({
    kind: 'guardrail-harm' as const,
    experiment,
    condition,
    message: `${condition} harms`,
    details: {},
    openedAt: new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString(),
  });

  it('finds the open alert of a condition, lists open and cleared ones newest first, and pages with before', async () => {
    const repo = new AlertRepository(h.connection);
    const a = await repo.open(alert('exp-a', 'guardrail:exp-a:csat', 1));
    const b = await repo.open(alert('exp-a', 'guardrail:exp-a:nps', 2));
    const c = await repo.open(alert('exp-b', 'srm:exp-b:1', 3));
    expect((await repo.findOpen('exp-a', 'guardrail:exp-a:csat'))?.id).toBe(a.id);
    expect(await repo.findOpen('exp-b', 'guardrail:exp-a:csat')).toBeNull();
    expect((await repo.openOf('exp-a')).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());

    expect((await repo.clear(a.id, new Date()))?.status).toBe('cleared');
    expect(await repo.clear(a.id, new Date())).toBeNull();
    expect(await repo.findOpen('exp-a', 'guardrail:exp-a:csat')).toBeNull();

    const open = await repo.list({ status: 'open', limit: 100 });
    expect(open.map((x) => x.id)).toEqual([c.id, b.id]);
    expect((await repo.list({ status: 'open', experiment: 'exp-a', limit: 100 })).map((x) => x.id)).toEqual([
      b.id,
    ]);
    expect((await repo.list({ status: 'cleared', limit: 100 })).map((x) => x.id)).toEqual([a.id]);
    expect((await repo.list({ status: 'all', limit: 2 })).map((x) => x.id)).toEqual([c.id, b.id]);
    expect((await repo.list({ status: 'all', limit: 2, before: b.id })).map((x) => x.id)).toEqual([a.id]);
  });

  it("keeps an alert's webhook deliveries in order, numbered per alert", async () => {
    const repo = new AlertRepository(h.connection);
    const a = await repo.open(alert('exp-c', 'srm:exp-c:1', 4));
    for (let attempt = 1; attempt <= 3; attempt++) {
      await repo.logDelivery({
        alertId: a.id,
        type: 'alert.opened',
        url: 'http://127.0.0.1:9/hook',
        attempt,
        ok: attempt === 3,
        httpStatus: attempt === 3 ? 200 : null,
        error: attempt === 3 ? null : 'refused',
        at: new Date(Date.UTC(2026, 0, 1, 0, attempt)).toISOString(),
      });
    }
    const log = await repo.deliveriesOf(a.id);
    expect(log.map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(await repo.deliveriesOf('alr_999999999999')).toEqual([]);
  });
});
