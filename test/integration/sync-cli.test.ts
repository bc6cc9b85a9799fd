import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncOnFirstStart } from '../../src/domain/sync/first-start.js';
import { createLogger } from '../../src/logger.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

let h: Harness;
let broken: string;
beforeAll(async () => {
  h = await createHarness();
  broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-cli-broken-'));
  cpSync(path.join(root, 'experiments'), broken, { recursive: true });
  const file = path.join(broken, 'retail-checkout.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('{ key: gain, weight: 0.5 }', '{ key: gain, weight: "half" }'),
  );
});
afterAll(async () => {
  rmSync(broken, { recursive: true, force: true });
  await h.close();
});

// Each case starts the command line (tsx compiles it) once or twice: generous limits for a busy machine.
const CLI_TIMEOUT = 120_000;

/** Runs `npm run sync` as a user would, against this test file's database. */
async function sync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const url = new URL(inject('mongoUri'));
  url.pathname = `/${h.dbName}`;
  try {
    const { stdout, stderr } = await run(
      path.join(root, 'node_modules', '.bin', 'tsx'),
      ['src/cli/sync.cli.ts', ...args],
      {
        cwd: root,
        env: { ...process.env, MONGODB_URI: url.toString(), LOG_LEVEL: 'error' },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run sync', () => {
  it(
    'exits 2 on a broken file, prints file, path and reason on stderr, and writes nothing',
    async () => {
      const res = await sync(['--dir', broken]);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      const lines = res.stderr.trim().split('\n');
      expect(lines[0]).toMatch(
        /retail-checkout\.yaml: experiments\[0\]\.variants\[1\]\.weight: Invalid input: expected number, received string \(line \d+\)$/,
      );
      expect(lines.at(-1)).toBe('sync refused: 1 problem(s); nothing was written');
      expect(await h.services.journeys.list()).toEqual([]);
    },
    CLI_TIMEOUT,
  );

  it(
    'prints a dry run without writing, then syncs the samples',
    async () => {
      const dry = await sync(['--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(
        /^dry run: \d+ to create, 0 to update, 0 unchanged, \d+ to start; nothing was written$/m,
      );
      expect(await h.services.experiments.list()).toEqual([]);
      const real = await sync([]);
      expect(real.code).toBe(0);
      expect(real.stdout).toMatch(/^\d+ created, 0 updated, 0 unchanged, \d+ started$/m);
      expect((await h.services.experiments.list({ status: 'running' })).length).toBeGreaterThan(0);
    },
    CLI_TIMEOUT,
  );
});

describe('first start', () => {
  it('leaves a database that already holds definitions alone', async () => {
    const before = (await h.services.audit.list({ limit: 1000 })).items.length;
    await syncOnFirstStart(h.services, path.join(root, 'experiments'), createLogger('silent'));
    expect((await h.services.audit.list({ limit: 1000 })).items.length).toBe(before);
  });

  it('loads the files into an empty database', async () => {
    const empty = await createHarness();
    try {
      await syncOnFirstStart(empty.services, path.join(root, 'experiments'), createLogger('silent'));
      const running = await empty.services.experiments.list({ status: 'running' });
      expect(running.map((e) => e.key)).toContain('autopay-default-on');
      expect((await empty.services.journeys.list()).map((j) => j.key)).toContain('checkout');
    } finally {
      await empty.close();
    }
  });
});
