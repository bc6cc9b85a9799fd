import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

/**
 * One embedded database for the whole run, on a free loopback port with a temporary data folder;
 * MONGODB_URI points the run at another server instead. Each test file gets its own database.
 */
export default async function setup(project: TestProject) {
  if (process.env.MONGODB_URI) {
    project.provide('mongoUri', process.env.MONGODB_URI);
    return;
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-test-db-'));
  const port = await freePort();
  const db = await startEmbeddedDatabase({ dataDir, port });
  project.provide('mongoUri', `mongodb://127.0.0.1:${port}`);
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  return async () => {
    await db.stop();
    cleanup();
  };
}
