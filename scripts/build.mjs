// Compiles src/ to dist/ with tsc (source maps beside each file) and copies the files tsc does not
// emit (the dashboard's assets). `ensureBuilt()` rebuilds only when a source is newer than the
// last build: it compares modification times (files and folders, so a deleted file counts too)
// without reading any file, so a current build costs a few milliseconds before every command.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
export const root = path.resolve(path.dirname(here), '..');
export const dist = path.join(root, 'dist');
const STAMP = '.build-stamp';
/** A build that has held the lock this long is taken to have died. */
const STALE_LOCK_MS = 10 * 60_000;

function newestMtime(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** True when `<base>/dist` is missing or older than a source, a build configuration or this script. */
export function isStale(base = root) {
  const stamp = path.join(base, 'dist', STAMP);
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  if (newestMtime(path.join(base, 'src')) > built) return true;
  const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'];
  return inputs.some((f) => statSync(path.join(base, f)).mtimeMs > built);
}

/** A clean build: removed files leave nothing behind; fails (and leaves no stamp) on a type error. */
export function build() {
  const started = Date.now();
  rmSync(dist, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  cpSync(path.join(root, 'src'), dist, {
    recursive: true,
    filter: (from) => statSync(from).isDirectory() || !from.endsWith('.ts'),
  });
  writeFileSync(path.join(dist, STAMP), `${new Date().toISOString()}\n`);
  return Date.now() - started;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Runs `fn` holding a lock folder, so two commands started together on a stale build do not
 * compile into the same dist/ at once; the second waits and then finds the build current.
 */
function withLock(fn) {
  const lock = path.join(root, '.cache', 'build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      else sleep(200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds when stale; progress goes to stderr so a command's stdout stays its own. */
export function ensureBuilt() {
  if (!isStale()) return;
  withLock(() => {
    if (!isStale()) return;
    process.stderr.write('build: sources changed since the last build, compiling src/ to dist/...\n');
    const ms = build();
    process.stderr.write(`build: done in ${(ms / 1000).toFixed(1)} s\n`);
  });
}

if (process.argv[1] === here) {
  const ms = withLock(build);
  process.stdout.write(`build: dist/ compiled in ${(ms / 1000).toFixed(1)} s\n`);
}
