import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundled = new Map<string, URL>();

/**
 * A thread's program from source (tests, benchmarks run through tsx): Node 20 applies no
 * `--import` loader to a worker thread, so the program is bundled once per process with esbuild
 * (a development dependency, never loaded by the compiled service) into node_modules/.cache,
 * where its packages resolve as from the source.
 */
function bundledProgram(own: string, name: string): URL {
  const known = bundled.get(name);
  if (known) return known;
  const esbuild = createRequire(own)('esbuild') as typeof import('esbuild');
  const { outputFiles } = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, own))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    write: false,
  });
  const code = outputFiles[0]?.text ?? '';
  const dir = fileURLToPath(new URL('../../node_modules/.cache/nudgelab/', own));
  const file = path.join(dir, `${name}.${createHash('sha256').update(code).digest('hex').slice(0, 12)}.mjs`);
  mkdirSync(dir, { recursive: true });
  // Written whole under another name first: processes running side by side may write the same file.
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  const url = pathToFileURL(file);
  bundled.set(name, url);
  return url;
}

/** The program of the thread `name` (a file in this folder): compiled (dist/), or bundled from source. */
export function threadProgram(name: string): URL {
  const own = import.meta.url;
  return own.endsWith('.ts') ? bundledProgram(own, name) : new URL(`./${name}.js`, own);
}
