import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Connection } from 'mongoose';
import supertest from 'supertest';
import { inject } from 'vitest';
import { connectDatabase } from '../../src/db/connection.js';
import type { Role } from '../../src/domain/roles.js';
import { systemActor } from '../../src/domain/roles.js';
import { createServices, type Services } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';

export interface Harness {
  app: Express;
  services: Services;
  connection: Connection;
  dbName: string;
  /** Secrets of one key per role, created in this database. */
  keys: Record<Role, string>;
  request: () => supertest.Agent;
  close(): Promise<void>;
}

/** A database of its own (named after the worker), the real services and the app, with a key per role. */
export async function createHarness(): Promise<Harness> {
  const base = inject('mongoUri');
  const dbName = `nl_test_w${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  const connection = await connectDatabase(url.toString());
  const logger = createLogger('silent');
  const services = createServices({ connection, logger });
  await services.ensureIndexes();
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'strategist', 'app', 'viewer'] as const) {
    const { secret } = await services.apiKeys.create(systemActor, { name: `test-${role}`, role });
    keys[role] = secret;
  }
  const app = createApp({ services, logger, bodyLimit: '1mb', version: 'test' });
  return {
    app,
    services,
    connection,
    dbName,
    keys,
    request: () => supertest.agent(app),
    async close() {
      // Stops the payload poller and writes buffered exposures before the database goes.
      await services.capture.close().catch(() => undefined);
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

export function auth(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}
