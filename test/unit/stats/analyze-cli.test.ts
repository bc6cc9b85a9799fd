import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readoutSchema } from '../../../src/stats/index.ts';
import { repoRoot } from './helpers.ts';

const cli = 'src/cli/analyze.cli.ts';
const fixturePath = (name: string): string => path.join(repoRoot, 'test/fixtures/stats', name);

function run(args: string[], stdin?: string) {
  // The project's own tsx, as `npm run analyze` runs it; not through npx, whose warnings about the
  // machine's npm configuration would land on the stderr under test.
  const r = spawnSync(path.join(repoRoot, 'node_modules/.bin/tsx'), [cli, ...args], {
    cwd: repoRoot,
    input: stdin ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('analyze CLI', () => {
  it('prints the readout for a file, pretty JSON matching the output contract, exit 0', () => {
    const r = run([fixturePath('payment-reminder.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\{\n {2}"srm": \{/);
    const readout = readoutSchema.parse(JSON.parse(r.stdout));
    expect(Object.keys(readout.metrics)).toEqual(['on-time', 'csat', 'effort', 'nps']);
    expect(Object.keys(readout.metrics.csat?.variants.control ?? {}).sort()).toEqual([
      'ci95',
      'estimate',
      'n',
      'status',
    ]);
    const v = readout.metrics.nps?.variants['loss-frame'];
    expect(v).toMatchObject({ status: 'ok' });
    for (const field of [
      'chanceToBeatControl',
      'chanceToBeBest',
      'absoluteLift',
      'relativeLift',
      'expectedLoss',
      'chanceOfHarm',
    ]) {
      expect(v).toHaveProperty(field);
    }
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'loss-frame' });
    expect(r.stdout).not.toContain('null');
  }, 60_000);

  it('reads stdin when no file is given and gives the same readout', () => {
    const text = readFileSync(fixturePath('hillstrom.json'), 'utf8');
    const fromStdin = run([], text);
    const fromFile = run([fixturePath('hillstrom.json')]);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(JSON.parse(fromStdin.stdout).decision.variant).toBe('mens');
  }, 60_000);

  it('rejects invalid input with exit 2, the field path on stderr and nothing on stdout', () => {
    const input = JSON.parse(readFileSync(fixturePath('payment-reminder.json'), 'utf8'));
    input.metrics[0].data['loss-frame'].conversions = 20000;
    const r = run([], JSON.stringify(input));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('metrics[0].data.loss-frame.conversions: must be <= n (12050)');
  }, 60_000);

  it('lists every issue, one per line, including a number too large to be finite', () => {
    const text = readFileSync(fixturePath('payment-reminder.json'), 'utf8')
      .replace('"mean": 3.9,', '"mean": 1e999,')
      .replace('"control": "control"', '"control": "baseline"')
      .replace('"detractors": 480', '"detractors": -480');
    const r = run([], text);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'metrics[1].data.control.mean: must be a finite number',
      'metrics[3].data.control.detractors: must be >= 0',
      'control: unknown control "baseline": not among variants',
    ]);
  }, 60_000);

  it('reports an arm without users as insufficient-data, never NaN or null, with exit 0', () => {
    const input = JSON.parse(readFileSync(fixturePath('payment-reminder.json'), 'utf8'));
    input.metrics[1].data['loss-frame'] = { n: 0, mean: 0, variance: 0 };
    const r = run([], JSON.stringify(input));
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/null|NaN|Infinity/);
    const readout = readoutSchema.parse(JSON.parse(r.stdout));
    expect(readout.metrics.csat?.variants['loss-frame']).toEqual({
      status: 'insufficient-data',
      n: 0,
      reason: 'no users',
    });
    // A guardrail without data holds the ship back rather than being ignored.
    expect(readout.decision.action).toBe('keep-running');
    expect(readout.decision.summary).toMatch(/no usable data yet on CSAT/);
  }, 60_000);

  it('refuses more than one file argument with one line pointing at --help and exit 2', () => {
    const r = run([fixturePath('hillstrom.json'), fixturePath('landing-page.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('npm run analyze: give one input file at most (see npm run analyze -- --help)\n');
  }, 60_000);

  it('rejects malformed JSON and an unreadable file with exit 2 and nothing on stdout', () => {
    const bad = run([], '{"control": ');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/invalid JSON/);
    const missing = run([fixturePath('does-not-exist.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/cannot read/);
  }, 60_000);

  it('with --plan, prints the MDE and expected days of a plan read from stdin, and refuses a bad plan', () => {
    const ok = run(['--plan'], JSON.stringify({ kind: 'conversion', baseline: 0.1, dailyExposures: 2000 }));
    expect(ok.code).toBe(0);
    const p = JSON.parse(ok.stdout) as {
      plannedSample: number;
      minimumDetectableEffect: { sequential: number };
    };
    expect(p.plannedSample).toBe(28000);
    expect(p.minimumDetectableEffect.sequential).toBeGreaterThan(0);
    const bad = run(['--plan'], JSON.stringify({ kind: 'conversion' }));
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/baseline/);
  }, 60_000);
});
