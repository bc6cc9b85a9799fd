/**
 * `npm run sync [-- --dry-run] [-- --dir <folder>]`: validates every file in experiments/ and
 * upserts the definitions. Any problem is printed as `file: path: reason`, exits 2, writes nothing.
 */
import path from 'node:path';
import { repoRoot } from '../db/embedded.js';
import { parseCli } from './cli-args.js';
import { withServices } from './cli-context.js';

const USAGE = `usage: npm run sync -- [--dry-run] [--dir <folder>]
  Validates every definitions file (YAML or JSON) in the folder (default: EXPERIMENTS_DIR) and
  writes journeys, touchpoints, nudges and experiments; nothing is written if any file has a problem.
    --dry-run         check and show the plan, write nothing
    --dir <folder>    read this folder instead of EXPERIMENTS_DIR`;

async function main(): Promise<void> {
  const args = parseCli({
    name: 'npm run sync',
    usage: USAGE,
    options: { 'dry-run': { type: 'boolean' }, dir: { type: 'string' } },
  }).values;
  const dryRun = args['dry-run'] ?? false;
  // Loaded after the arguments are read, so --help and usage errors answer without loading the domain.
  const { describeSync, syncDefinitions } = await import('../domain/sync/sync-definitions.js');
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
