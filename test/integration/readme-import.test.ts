import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncOnFirstStart } from '../../src/domain/sync/first-start.js';
import { createLogger } from '../../src/logger.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  // A fresh start: the first start loads the sample definitions.
  await syncOnFirstStart(h.services, path.join(root, 'experiments'), createLogger('silent'));
});
afterAll(async () => {
  await h.close();
});

/** The README's import command, continuation lines joined, as its arguments after `npm run import --`. */
function readmeCommand(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- import-example');
  expect(marker).toBeGreaterThan(0);
  const start = readme.indexOf('```sh\n', marker) + 6;
  const words = readme
    .slice(start, readme.indexOf('\n```', start))
    .replaceAll('\\\n', ' ')
    .trim()
    .split(/\s+/);
  expect(words.slice(0, 4)).toEqual(['npm', 'run', 'import', '--']);
  return words.slice(4);
}

/** What the file says, counted here: each customer's first row, by arm after the mapping. */
function expectedFrom(file: string, map: Record<string, string>) {
  const [header, ...lines] = readFileSync(path.join(root, file), 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const at = (name: string) => cols.indexOf(name);
  const seen = new Set<string>();
  const arms: Record<string, { customers: number; converted: number }> = {};
  let first = Infinity;
  let last = -Infinity;
  for (const line of lines) {
    const cells = line.split(',');
    const customer = cells[at('customer_id')]!;
    if (seen.has(customer)) continue;
    seen.add(customer);
    const arm = map[cells[at('arm')]!] ?? cells[at('arm')]!;
    const time = Date.parse(`${cells[at('shown_at')]!.replace(' ', 'T')}Z`);
    first = Math.min(first, time);
    last = Math.max(last, time);
    arms[arm] ??= { customers: 0, converted: 0 };
    arms[arm].customers += 1;
    arms[arm].converted += cells[at('ordered')] === '1' ? 1 : 0;
  }
  return {
    arms,
    rows: lines.length,
    first: new Date(first).toISOString(),
    last: new Date(last).toISOString(),
  };
}

describe("the README's import example", () => {
  it('when run as written on a fresh start, then the sample past experiment is imported as concluded with the dates of its file and serves no traffic', async () => {
    const args = readmeCommand();
    const option = (name: string) => args[args.indexOf(`--${name}`) + 1]!;
    const key = option('experiment');
    const file = args.find((a) => a.endsWith('.csv'))!;
    expect(args).toContain('--as-concluded');
    // The experiment it names is a sample, a draft until the import.
    expect(await h.services.experiments.get(key)).toMatchObject({ status: 'draft', phase: 0 });

    const url = new URL(inject('mongoUri'));
    url.pathname = `/${h.dbName}`;
    const { stdout } = await run(
      path.join(root, 'node_modules', '.bin', 'tsx'),
      ['src/cli/import.cli.ts', ...args],
      {
        cwd: root,
        env: { ...process.env, MONGODB_URI: url.toString(), LOG_LEVEL: 'error' },
      },
    );

    const map = Object.fromEntries(
      option('map')
        .split(',')
        .map((pair) => pair.split('=') as [string, string]),
    );
    const expected = expectedFrom(file, map);
    expect(stdout).toContain(
      `Imported ${key} (phase 1) from ${file}: ${expected.rows.toLocaleString('en-US')} rows read`,
    );
    for (const [arm, c] of Object.entries(expected.arms)) {
      expect(stdout).toContain(`  ${arm}: ${c.customers} customers, ${c.converted} converted in this file`);
    }
    expect(stdout).toMatch(/customer repeated \(the first row counts\): 2 \(lines \d+, \d+\)/);
    expect(stdout).toMatch(/^Readout \(.*\): .+/m);

    const exp = await h.services.experiments.get(key);
    expect(exp).toMatchObject({
      status: 'concluded',
      phase: 1,
      startedAt: expected.first,
      concludedAt: expected.last,
    });
    const snapshot = await h.services.readouts.latest(key);
    expect(snapshot?.counts?.exposures).toEqual(
      Object.fromEntries(Object.entries(expected.arms).map(([arm, c]) => [arm, c.customers])),
    );
    // Never served: the running experiment on the same touchpoint answers, this one does not. A
    // few customers, since any one may fall in the journey's 5% holdout (seeded by its random id).
    await h.services.capture.assignments.refresh();
    const answered: { experiment: string; inExperiment: boolean; variant: unknown }[] = [];
    for (let i = 0; i < 10; i++) {
      const assigned = await h
        .request()
        .post('/v1/assignments')
        .set(auth(h.keys.app))
        .send({ customerId: `after-the-import-${i}`, touchpoint: exp.touchpoint, channel: 'web' });
      expect(assigned.status).toBe(200);
      answered.push(...assigned.body.assignments);
    }
    const imported = answered.filter((a) => a.experiment === key);
    expect(imported).toHaveLength(10);
    for (const a of imported) expect(a).toMatchObject({ inExperiment: false, variant: null });
    expect(answered.some((a) => a.experiment !== key && a.inExperiment)).toBe(true);
  }, 180_000);
});
