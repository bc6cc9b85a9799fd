import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.js';
import { chromiumBinary } from '../src/http/dashboard/chromium-binary.js';

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
  // The packaged browser is unpacked here, once, before test files run in parallel: files that
  // unpacked it at the same moment started a half-written binary (spawn ETXTBSY).
  await chromiumBinary(process.env.CHROMIUM_PATH).catch(() => undefined);
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
