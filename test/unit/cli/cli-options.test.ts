import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argumentError, stdinNotice, wantsHelp } from '../../../src/cli/cli-args.js';

const tsx = path.resolve('node_modules/.bin/tsx');
const scratch = mkdtempSync(path.join(tmpdir(), 'nudgelab-cli-opts-'));
// A data folder that must stay absent: a tool that opened the embedded database would create it.
const dataDir = path.join(scratch, 'data');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tools: Record<string, string> = {
  sync: 'src/cli/sync.cli.ts',
  schema: 'src/cli/schema.cli.ts',
  keys: 'src/cli/keys.cli.ts',
  analyze: 'src/cli/analyze.cli.ts',
  calibrate: 'scripts/calibrate.ts',
  bench: 'scripts/bench.ts',
  import: 'src/cli/import.cli.ts',
  recompute: 'src/cli/recompute.cli.ts',
  demo: 'src/cli/demo.cli.ts',
};

function run(file: string, args: string[], input = '') {
  return spawnSync(tsx, [file, ...args], {
    encoding: 'utf8',
    input,
    env: { PATH: process.env.PATH ?? '', HOME: scratch, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
}

describe('every command-line tool', () => {
  const schemaFile = path.resolve('experiments/schema.json');
  const schemaBefore = { text: readFileSync(schemaFile, 'utf8'), mtime: statSync(schemaFile).mtimeMs };

  for (const [name, file] of Object.entries(tools)) {
    it(`${name}: --help prints its usage and exits 0; an unknown option is one line and exit 2; neither touches anything`, () => {
      const help = run(file, ['--help']);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage:\\s+npm run ${name}`));
      expect(help.stderr).toBe('');

      const bad = run(file, ['--bogus']);
      expect(bad.status).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toEqual([
        `npm run ${name}: Unknown option '--bogus' (see npm run ${name} -- --help)`,
      ]);
      expect(existsSync(dataDir)).toBe(false);
    });
  }

  it('schema --help leaves experiments/schema.json as it was', () => {
    expect(run(tools.schema!, ['--help']).status).toBe(0);
    expect(readFileSync(schemaFile, 'utf8')).toBe(schemaBefore.text);
    expect(statSync(schemaFile).mtimeMs).toBe(schemaBefore.mtime);
  });

  it('analyze says it reads stdin only when stdin is a terminal', () => {
    expect(stdinNotice('npm run analyze', 'the input JSON', true)).toMatch(
      /^npm run analyze: reading the input JSON from stdin; .* Ctrl-D/,
    );
    expect(stdinNotice('npm run analyze', 'the input JSON', false)).toBeNull();
    const piped = run(tools.analyze!, [], '{');
    expect(piped.status).toBe(2);
    expect(piped.stderr).not.toContain('reading the input JSON from stdin');
  });

  it('reads --help only before "--", and keeps the first sentence of a parse error', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    const err = new TypeError(
      "Unknown option '--x'. To specify a positional argument starting with a '-', do this.",
    );
    expect(argumentError('npm run sync', err)).toBe(
      "npm run sync: Unknown option '--x' (see npm run sync -- --help)",
    );
  });
});
