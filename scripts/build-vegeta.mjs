// Builds the vegeta load generator (used by the assignment benchmark's fixed-rate run, never by
// tests) from its pinned Go module with the machine's Go, once, into .cache/vegeta; rebuilt only
// when the pinned version changes (stored beside the binary).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MODULE = 'github.com/tsenart/vegeta/v12';
const VERSION = 'v12.13.0';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(root, '.cache');
const binary = path.join(cache, 'vegeta');
const stamp = path.join(cache, 'vegeta.version');

if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === VERSION) {
  console.log('vegeta: cached build is current');
} else {
  const started = Date.now();
  console.log(`vegeta: building ${MODULE}@${VERSION} (first time only)...`);
  const bin = path.join(cache, 'vegeta-bin');
  mkdirSync(bin, { recursive: true });
  execFileSync('go', ['install', `${MODULE}@${VERSION}`], {
    cwd: cache,
    stdio: 'inherit',
    env: { ...process.env, GOBIN: bin, CGO_ENABLED: '0', GOFLAGS: '' },
  });
  renameSync(path.join(bin, 'vegeta'), binary);
  rmSync(bin, { recursive: true, force: true });
  writeFileSync(stamp, VERSION);
  console.log(`vegeta: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
