import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const indexNames = async (collection: string): Promise<string[]> =>
  (await h.connection.collection(collection).indexes()).map((i) => String(i.name)).sort();

describe('indexes', () => {
  it('creates the same indexes on every server: only _id on the collections that grow with traffic', async () => {
    expect(await indexNames('exposures')).toEqual(['_id_']);
    expect(await indexNames('events')).toEqual(['_id_']);
    expect(await indexNames('snapshots')).toEqual(['_id_']);
    expect(await indexNames('api_keys')).toEqual(expect.arrayContaining(['hash_1', 'name_1', 'clientKey_1']));
    expect(await indexNames('alerts')).toEqual(['_id_']);
    expect(await indexNames('audit_log')).toEqual(['_id_']);
    expect(await indexNames('webhook_deliveries')).toEqual(['_id_']);
  });

  it('still refuses a second API key with a taken name (unique index)', async () => {
    const res = await h
      .request()
      .post('/v1/keys')
      .set('authorization', `Bearer ${h.keys.admin}`)
      .send({ name: 'test-app', role: 'app' });
    expect(res.status).toBe(409);
  });
});
