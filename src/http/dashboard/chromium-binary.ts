import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { extract } from 'tar-fs';
import { CHROMIUM_ARGS } from './chromium-args.js';

export interface ChromiumBinary {
  executablePath: string;
  args: string[];
  /** The browser process's environment (the packaged browser finds its own libraries there). */
  env?: Record<string, string>;
}

/** Runs `make` once per process and shares its promise; a failure is forgotten, so the next call tries again. */
function oncePerProcess<T>(make: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    if (!running) {
      running = make();
      running.catch(() => {
        running = undefined;
      });
    }
    return running;
  };
}

/** The package's browser, unpacked once per process: two unpackings at once left a half-written file to start (ETXTBSY). */
const packagedExecutable = oncePerProcess(() =>
  import('@sparticuz/chromium').then(({ default: packaged }) => packaged.executablePath()),
);

/**
 * The NSS and NSPR libraries the packaged Chromium links against ship in the same npm package
 * (`bin/al2023.tar.br`), but the package unpacks them only inside AWS Lambda. A machine that never
 * installed a browser from its package manager has no libnss3, so they are unpacked here too, once
 * per process, and put first on the browser's library path.
 */
const packagedLibraries = oncePerProcess(async () => {
  const target = path.join(tmpdir(), 'al2023');
  const lib = path.join(target, 'lib');
  if (!existsSync(path.join(lib, 'libnss3.so'))) {
    const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
    const root = entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`));
    await pipeline(
      createReadStream(path.join(root, 'bin', 'al2023.tar.br')),
      createBrotliDecompress(),
      extract(target),
    );
  }
  return lib;
});

/**
 * The browser PDF exports and the browser tests launch: `CHROMIUM_PATH` when set (a system
 * Chromium), otherwise the headless Chromium shipped inside the `@sparticuz/chromium` npm package,
 * unpacked to a temporary folder on first use with the libraries it needs, so a fresh machine
 * needs no system package.
 */
export async function chromiumBinary(configuredPath?: string): Promise<ChromiumBinary> {
  if (configuredPath) return { executablePath: configuredPath, args: [...CHROMIUM_ARGS] };
  const [executablePath, lib] = await Promise.all([packagedExecutable(), packagedLibraries()]);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const libraryPath = [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  // Not the package's own flags: they are made for one page per process in a function runtime
  // (`--single-process`, and web security turned off), where this runs many pages and contexts.
  return {
    executablePath,
    args: [...CHROMIUM_ARGS, '--no-zygote'],
    env: { ...inherited, LD_LIBRARY_PATH: libraryPath },
  };
}
