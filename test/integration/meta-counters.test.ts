import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetaRepository } from '../../src/db/meta.repository.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe('version counters', () => {
  it('when many instances bump a counter that does not exist yet at once, then each gets its own number and none fails', async () => {
    const meta = new MetaRepository(h.connection);
    const name = `definitions-${randomBytes(4).toString('hex')}`;
    // The first bumps race to create the counter: the losers used to fail (E11000), and on the
    // embedded server concurrent increments were lost (24 bumps left it at 2).
    const versions = await Promise.all(Array.from({ length: 24 }, () => meta.bump(name)));
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(await meta.version(name)).toBe(24);
  });

  it('when a counter is bumped one after another, then it counts up from 1', async () => {
    const meta = new MetaRepository(h.connection);
    const name = `payload-${randomBytes(4).toString('hex')}`;
    expect(await meta.version(name)).toBe(0);
    expect(await meta.bump(name)).toBe(1);
    expect(await meta.bump(name)).toBe(2);
    expect(await meta.version(name)).toBe(2);
  });
});
