// Compiles src/ to dist/ with tsc (source maps beside each file) and copies the files tsc does not
// emit (the dashboard's assets). `ensureBuilt()` rebuilds only when a source is newer than the
// last build: it compares modification times (files and folders, so a deleted file counts too)
// without reading any file, so a current build costs a few milliseconds before every command.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = path.join(root, 'dist');
const src = path.join(root, 'src');
const stamp = path.join(dist, '.build-stamp');
const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => path.join(root, f));

function newestMtime(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** True when dist/ is missing or older than any source, build configuration or this script. */
export function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  if (newestMtime(src) > built) return true;
  return [...configs, fileURLToPath(import.meta.url)].some((f) => statSync(f).mtimeMs > built);
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
  cpSync(src, dist, {
    recursive: true,
    filter: (from) => statSync(from).isDirectory() || !from.endsWith('.ts'),
  });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return Date.now() - started;
}

/** Builds when stale; progress goes to stderr so a command's stdout stays its own. */
export function ensureBuilt() {
  if (!isStale()) return;
  process.stderr.write('build: sources changed since the last build, compiling src/ to dist/...\n');
  const ms = build();
  process.stderr.write(`build: done in ${(ms / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ms = build();
  process.stdout.write(`build: dist/ compiled in ${(ms / 1000).toFixed(1)} s\n`);
}
