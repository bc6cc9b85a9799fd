// Builds the embedded FerretDB server from scripts/ferretdb with the machine's Go, once:
// the binary is rebuilt only when the Go sources change (hash stored beside it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'scripts', 'ferretdb');
const cache = path.join(root, '.cache');
const binary = path.join(cache, 'ferretdb');
const stamp = path.join(cache, 'ferretdb.sha256');

const hash = createHash('sha256');
const sources = readdirSync(source)
  .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
  .sort();
for (const file of sources) hash.update(file).update(readFileSync(path.join(source, file)));
const digest = hash.digest('hex');

if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  console.log('embedded database: cached build is current');
} else {
  mkdirSync(cache, { recursive: true });
  const started = Date.now();
  console.log('embedded database: building FerretDB (first time only)...');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: source,
    stdio: 'inherit',
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
  });
  writeFileSync(stamp, digest);
  console.log(`embedded database: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
