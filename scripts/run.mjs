// `node --enable-source-maps scripts/run.mjs <entry> [args...]`: runs dist/<entry>.js, compiling
// first when the sources changed, in this one process, so a command starts with plain Node and
// never pays for a TypeScript loader. The entry sees process.argv as if started directly.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dist, ensureBuilt } from './build.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write(
    'usage: node --enable-source-maps scripts/run.mjs <entry, e.g. main or cli/sync.cli> [args...]\n',
  );
  process.exit(2);
}
try {
  ensureBuilt();
} catch {
  // tsc has printed its errors.
  process.exit(1);
}
const file = path.join(dist, `${entry}.js`);
process.argv = [process.argv[0] ?? process.execPath, file, ...args];
await import(pathToFileURL(file).href);
