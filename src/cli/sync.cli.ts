/**
 * `npm run sync [-- --dry-run] [-- --dir <folder>]`: validates every file in experiments/ and
 * upserts the definitions. Any problem is printed as `file: path: reason`, exits 2, writes nothing.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../db/embedded.js';
import { describeSync, syncDefinitions } from '../domain/sync/sync-definitions.js';
import { withServices } from './cli-context.js';

async function main(): Promise<void> {
  let args: { 'dry-run'?: boolean; dir?: string };
  try {
    args = parseArgs({
      args: process.argv.slice(2),
      options: { 'dry-run': { type: 'boolean' }, dir: { type: 'string' } },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: npm run sync -- [--dry-run] [--dir <folder>]\n`);
    process.exit(2);
  }
  const dryRun = args['dry-run'] ?? false;
  const result = await withServices(async (services, config) => {
    const synced = await syncDefinitions(services, {
      dir: args.dir ? path.resolve(args.dir) : path.resolve(repoRoot, config.EXPERIMENTS_DIR),
      dryRun,
    });
    // Waited for here (the per-change announcements are not), so a running service sees the
    // new definitions version and recompiles its assignment payload before this process exits.
    if (synced.written) await services.capture.assignments.definitionsChanged();
    return synced;
  });
  const lines = describeSync(result, dryRun);
  if (result.issues.length > 0) {
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exit(2);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
