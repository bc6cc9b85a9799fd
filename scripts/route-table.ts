/**
 * Writes the README's route table from the route declarations: `npm run routes:readme`.
 * The app is built with services that are never called (declaring routes calls none), so no
 * database is needed; a test fails while the README's table differs from the declarations.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Services } from '../src/domain/services.js';
import { createApp, routesOf } from '../src/http/app.js';
import { withRouteTable } from '../src/http/route-table.js';
import { createLogger } from '../src/logger.js';

function unused(path: string): unknown {
  return new Proxy(() => undefined, {
    get: (_t, prop) => unused(`${path}.${String(prop)}`),
    apply: () => {
      throw new Error(`${path}() was called while only the routes were wanted`);
    },
  });
}

const app = createApp({
  services: unused('services') as Services,
  logger: createLogger('silent'),
  bodyLimit: '1mb',
  version: 'readme',
});
const readme = readFileSync('README.md', 'utf8');
const next = withRouteTable(readme, routesOf(app));
if (next === undefined) throw new Error('README.md has no route-table markers');
writeFileSync('README.md', next);
console.log(next === readme ? 'README.md route table is up to date' : 'README.md route table rewritten');
