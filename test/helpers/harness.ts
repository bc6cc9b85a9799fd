import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Connection } from 'mongoose';
import supertest from 'supertest';
import { inject } from 'vitest';
import { type Composition, type CompositionOptions, createComposition } from '../../src/composition.js';
import { type Config, loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connection.js';
import type { Role } from '../../src/domain/roles.js';
import { systemActor } from '../../src/domain/roles.js';
import type { Services } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { createLogger, type Logger } from '../../src/logger.js';

export interface Harness {
  app: Express;
  /** The one composition of this test's services; `root.close()` stops them and keeps the database. */
  root: Composition;
  services: Services;
  connection: Connection;
  /** The URI of this test's database. */
  uri: string;
  dbName: string;
  /** Secrets of one key per role, created in this database. */
  keys: Record<Role, string>;
  request: () => supertest.Agent;
  /** Closes the services (as a shutdown does), then drops and closes the database. */
  close(): Promise<void>;
}

/** The service's configuration as parsed at start, with `env` over the defaults; no scheduled jobs. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ JOBS_ENABLED: 'false', LOG_LEVEL: 'silent', ...env });
}

/** Another instance on the same connection (the caller closes it); its journal is temporary. */
export function composeOn(
  connection: Connection,
  opts: Partial<Omit<CompositionOptions, 'connection'>> = {},
): Composition {
  return createComposition({ config: testConfig(), logger: createLogger('silent'), ...opts, connection });
}

export interface HarnessOptions {
  /** Configuration variables, e.g. WEBHOOK_URLS. */
  env?: Record<string, string>;
  logger?: Logger;
  tuning?: CompositionOptions['tuning'];
  /** Attribution in a thread of its own with its own connection, as the service runs it. */
  attributionThread?: boolean;
}

/** A database of its own (named after the worker), the real services and the app, with a key per role. */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const base = inject('mongoUri');
  const dbName = `nl_test_w${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  const connection = await connectDatabase(url.toString());
  const logger = opts.logger ?? createLogger('silent');
  const root = createComposition({
    config: testConfig(opts.env),
    connection,
    logger,
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
    ...(opts.attributionThread ? { databaseUri: url.toString() } : {}),
  });
  const { services } = root;
  await services.ensureIndexes();
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'strategist', 'app', 'viewer'] as const) {
    const { secret } = await services.apiKeys.create(systemActor, { name: `test-${role}`, role });
    keys[role] = secret;
  }
  const app = createApp({ services, logger, bodyLimit: '1mb', version: 'test' });
  return {
    app,
    root,
    services,
    connection,
    uri: url.toString(),
    dbName,
    keys,
    request: () => supertest.agent(app),
    async close() {
      await root.close();
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

export function auth(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}
