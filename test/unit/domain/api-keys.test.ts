import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKeyRecord, ApiKeyRepository } from '../../../src/db/api-key.repository.js';
import { ApiKeysService, hashKey } from '../../../src/domain/api-keys.service.js';
import type { AuditService } from '../../../src/domain/audit.service.js';

/** Shaped like a generated key, so it is stored under SHA-256. */
const GOOD = `nlk_${'g'.repeat(43)}`;

const record: ApiKeyRecord = {
  id: 'key_1',
  name: 'web-shop',
  role: 'app',
  prefix: 'nlk_abc',
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'system',
};

function serviceWith(lookup: (hash: string) => Promise<ApiKeyRecord | null>) {
  const repo = { findActiveByHash: vi.fn(lookup) } as unknown as ApiKeyRepository;
  return { service: new ApiKeysService(repo, {} as AuditService), repo };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('API key verification during a database outage', () => {
  it('keeps accepting a key verified before the outage once its cache entry is stale', async () => {
    vi.useFakeTimers();
    let down = false;
    const { service, repo } = serviceWith(async (hash) => {
      if (down) throw new Error('MongoNetworkError');
      return hash === hashKey(GOOD) ? record : null;
    });
    expect(await service.authenticate(GOOD)).toMatchObject({ name: 'web-shop', role: 'app' });
    down = true;
    vi.advanceTimersByTime(60_000);
    expect(await service.authenticate(GOOD)).toMatchObject({ name: 'web-shop', role: 'app' });
    expect(repo.findActiveByHash).toHaveBeenCalledTimes(2);
  });

  it('still fails for a key it never verified while the database is down', async () => {
    const { service } = serviceWith(async () => {
      throw new Error('MongoNetworkError');
    });
    await expect(service.authenticate(`nlk_${'u'.repeat(43)}`)).rejects.toThrow('MongoNetworkError');
  });
});
