/**
 * `npm run recompute -- <experiment-key> [...]`: rebuilds the readout sums of each experiment's
 * current phase from the stored exposures and events. Beside a running service (which holds the
 * attribution lease) it says to use `POST /v1/experiments/:key/recompute` instead.
 */
import { DomainError } from '../domain/errors.js';
import { parseCli, usageError } from './cli-args.js';
import { withServices } from './cli-context.js';

const usage = `usage: npm run recompute -- <experiment-key> [<experiment-key> ...]
  Rebuilds the readout sums of each experiment's current phase from the stored exposures and events.`;

async function main(): Promise<void> {
  const keys = parseCli({
    name: 'npm run recompute',
    usage,
    options: {},
    allowPositionals: true,
  }).positionals;
  if (keys.length === 0) usageError('npm run recompute', 'give at least one experiment key');
  const code = await withServices(async (services) => {
    for (const key of keys) {
      try {
        const r = await services.recompute(key);
        process.stdout.write(
          `${key}: ${r.exposures} exposures, ${r.events} events, ${r.unitsRewritten} units, ${r.durationMs} ms\n`,
        );
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const hint =
          err.code === 'attribution_busy'
            ? ` (a running service holds it: POST /v1/experiments/${key}/recompute)`
            : '';
        process.stderr.write(`${key}: ${err.message}${hint}\n`);
        return 1;
      }
    }
    return 0;
  });
  process.exitCode = code;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
