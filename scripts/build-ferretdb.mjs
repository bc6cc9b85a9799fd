// Builds the embedded FerretDB server from scripts/ferretdb with the machine's Go, once: the
// FerretDB module is copied from the Go module cache into .cache/, patched with
// scripts/ferretdb/patches/*.patch (see scripts/ferretdb/README.md) and built through the
// `replace` directive in scripts/ferretdb/go.mod. The binary is rebuilt only when the Go sources,
// the patches or this script change (hash stored beside it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'scripts', 'ferretdb');
const patchDir = path.join(source, 'patches');
// FERRETDB_CACHE_DIR lets a test build (or fail to build) somewhere other than the real cache.
const cache = process.env.FERRETDB_CACHE_DIR
  ? path.resolve(process.env.FERRETDB_CACHE_DIR)
  : path.join(root, '.cache');

// The service uses MONGODB_URI instead of the embedded server whenever it is set, so `npm start`
// must not need Go (or spend a minute building) on a machine that has a MongoDB.
if (process.env.MONGODB_URI) {
  console.log('embedded database: not needed (MONGODB_URI is set)');
  process.exit(0);
}
const binary = path.join(cache, 'ferretdb');
const stamp = path.join(cache, 'ferretdb.sha256');
// Must match the `replace` directive in scripts/ferretdb/go.mod.
const vendored = path.join(cache, 'ferretdb-module');
const modulePath = 'github.com/FerretDB/FerretDB';

const goMod = readFileSync(path.join(source, 'go.mod'), 'utf8');
const version = new RegExp(`^require ${modulePath.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(goMod)?.[1];
if (!version) throw new Error(`scripts/ferretdb/go.mod: no "require ${modulePath} <version>" line`);

const patches = readdirSync(patchDir)
  .filter((f) => f.endsWith('.patch'))
  .sort();

const hash = createHash('sha256');
const inputs = [
  ...readdirSync(source)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .sort()
    .map((f) => path.join(source, f)),
  ...patches.map((f) => path.join(patchDir, f)),
  fileURLToPath(import.meta.url),
];
for (const file of inputs) hash.update(path.relative(root, file)).update(readFileSync(file));
const digest = hash.digest('hex');

if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  console.log('embedded database: cached build is current');
} else {
  if (!hasGo()) {
    console.error(
      'embedded database: Go 1.22 or later is needed to build it once (https://go.dev/dl/); or set MONGODB_URI to a MongoDB server and skip it.',
    );
    process.exit(1);
  }
  mkdirSync(cache, { recursive: true });
  const started = Date.now();
  console.log(
    `embedded database: building FerretDB ${version} with ${patches.length} patches (first time only)...`,
  );
  vendorModule();
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: source,
    stdio: 'inherit',
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
  });
  writeFileSync(stamp, digest);
  console.log(`embedded database: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function hasGo() {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A fresh, writable copy of the pinned module with every patch applied. */
function vendorModule() {
  // Run outside scripts/ferretdb: its go.mod points at the copy that is about to be made.
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `${modulePath}@${version}`], {
      cwd: cache,
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: '' },
    }),
  );
  if (!info.Dir)
    throw new Error(`go mod download gave no folder for ${modulePath}@${version}: ${info.Error ?? ''}`);
  rmSync(vendored, { recursive: true, force: true });
  cpSync(info.Dir, vendored, { recursive: true });
  // The module cache is read-only; the copy keeps its modes.
  makeWritable(vendored);
  for (const patch of patches) {
    applyPatch(vendored, path.join(patchDir, patch));
    console.log(`embedded database: applied ${patch}`);
  }
}

function makeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else chmodSync(full, statSync(full).mode | 0o200);
  }
}

/**
 * Applies a unified diff (`diff -u` / `git diff` output). Each hunk's old lines must occur exactly
 * once in the file, wherever the line numbers say: a patch written for another version of the
 * module fails here, naming the hunk, instead of building something half-patched.
 */
function applyPatch(dir, patchFile) {
  const name = path.basename(patchFile);
  const files = parseUnifiedDiff(readFileSync(patchFile, 'utf8'), name);
  if (files.length === 0) throw new Error(`${name}: no file diffs found`);
  for (const { file, hunks } of files) {
    const target = path.join(dir, file);
    if (!existsSync(target)) throw new Error(`${name}: ${file} does not exist in ${modulePath}@${version}`);
    let text = readFileSync(target, 'utf8');
    for (const [i, hunk] of hunks.entries()) {
      const before = hunk.old.join('\n');
      // Whole lines only: searched with the newlines around them.
      const lines = `\n${text}`;
      const needle = `\n${before}\n`;
      const first = lines.indexOf(needle);
      if (first === -1) throw new Error(`${name}: hunk ${i + 1} of ${file} does not match (${hunk.header})`);
      if (lines.indexOf(needle, first + 1) !== -1) {
        throw new Error(`${name}: hunk ${i + 1} of ${file} matches more than once (${hunk.header})`);
      }
      text = text.slice(0, first) + hunk.new.join('\n') + text.slice(first + before.length);
    }
    writeFileSync(target, text);
  }
}

function parseUnifiedDiff(diff, name) {
  const files = [];
  let current;
  let hunk;
  for (const line of diff.split('\n')) {
    if (line.startsWith('--- ')) {
      hunk = undefined;
    } else if (line.startsWith('+++ ')) {
      const file = line.slice(4).trim().replace(/^b\//, '');
      current = { file, hunks: [] };
      files.push(current);
    } else if (line.startsWith('@@')) {
      if (!current) throw new Error(`${name}: hunk before any file header`);
      hunk = { header: line, old: [], new: [] };
      current.hunks.push(hunk);
    } else if (hunk && line.startsWith(' ')) {
      hunk.old.push(line.slice(1));
      hunk.new.push(line.slice(1));
    } else if (hunk && line.startsWith('-')) {
      hunk.old.push(line.slice(1));
    } else if (hunk && line.startsWith('+')) {
      hunk.new.push(line.slice(1));
    } else if (hunk && line === '') {
      // `diff` writes an empty context line as a lone space, but editors often strip it.
      hunk.old.push('');
      hunk.new.push('');
    } else if (line.startsWith('\\')) {
      throw new Error(`${name}: "${line}" (files without a final newline) is not supported`);
    }
  }
  // The trailing newline of the patch file ends the last hunk, it is not an empty context line.
  for (const f of files) {
    for (const h of f.hunks) {
      while (h.old.at(-1) === '' && h.new.at(-1) === '') {
        h.old.pop();
        h.new.pop();
      }
    }
  }
  return files;
}
