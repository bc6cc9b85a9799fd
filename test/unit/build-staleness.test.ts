import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStale } from '../../scripts/build.mjs';

let base: string;
// Explicit modification times in the past, so a change made now is newer than the build.
const t0 = Math.floor(Date.now() / 1000) - 3600;
const at = (file: string, seconds: number) => utimesSync(path.join(base, file), seconds, seconds);

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'nudgelab-build-'));
  mkdirSync(path.join(base, 'src', 'http'), { recursive: true });
  mkdirSync(path.join(base, 'scripts'));
  mkdirSync(path.join(base, 'dist'));
  for (const f of [
    'src/main.ts',
    'src/http/app.ts',
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
    'scripts/build.mjs',
  ]) {
    writeFileSync(path.join(base, f), '{}');
    at(f, t0);
  }
  at('src/http', t0);
  at('src', t0);
  at('scripts', t0);
  writeFileSync(path.join(base, 'dist', '.build-stamp'), 'built');
  at('dist/.build-stamp', t0 + 10);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('the build staleness check', () => {
  it('when nothing changed since the build, then the build is current', () => {
    expect(isStale(base)).toBe(false);
  });

  it('when there is no build yet, then it is stale', () => {
    rmSync(path.join(base, 'dist'), { recursive: true });
    expect(isStale(base)).toBe(true);
  });

  it('when a nested source was edited after the build, then it is stale', () => {
    at('src/http/app.ts', t0 + 20);
    expect(isStale(base)).toBe(true);
  });

  it('when a source was deleted after the build, then it is stale (its folder changed)', () => {
    rmSync(path.join(base, 'src', 'http', 'app.ts'));
    expect(isStale(base)).toBe(true);
  });

  it('when the build configuration changed after the build, then it is stale', () => {
    at('tsconfig.build.json', t0 + 20);
    expect(isStale(base)).toBe(true);
  });
});
