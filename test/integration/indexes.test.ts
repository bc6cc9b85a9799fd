import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerretDb } from '../../src/db/connection.js';
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
  it('keeps unique indexes everywhere and lookup indexes only where the database uses them', async () => {
    const ferret = await isFerretDb(h.connection);
    const exposures = await indexNames('exposures');
    if (ferret) expect(exposures).toEqual(['_id_']);
    else expect(exposures).toEqual(expect.arrayContaining(['_id_', 'unitId_1_exposedAt_1', 'customerId_1']));
    expect(await indexNames('api_keys')).toEqual(expect.arrayContaining(['hash_1', 'name_1', 'clientKey_1']));
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
