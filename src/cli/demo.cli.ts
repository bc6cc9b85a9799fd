/**
 * `npm run demo`: simulates customers through the running sample experiments with known true
 * effects, so the journey maps, readouts and their history have data to show.
 *
 *   npm run demo -- [--base-url http://localhost:3000] [--key <admin key>] [--days 5] [--customers 60] [--seed 42]
 *   npm run demo -- --in-process [--days 5] [--customers 60]
 *
 * Against a running service it needs a key that may assign, send events and refresh readouts (an
 * admin key): --key, else NUDGELAB_API_KEY, else BOOTSTRAP_ADMIN_KEY. With --in-process it opens the
 * database `npm start` uses, loads experiments/ when nothing is stored yet, serves the app on a
 * loopback port with a temporary admin key (revoked at the end) and drives that over HTTP.
 */
import type { Server } from 'node:http';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { repoRoot } from '../db/embedded.js';
import { systemActor } from '../domain/roles.js';
import { createLogger } from '../logger.js';
import { parseCli } from './cli-args.js';
import { SAMPLE_EFFECTS, trueEffect, trueNps } from './demo/effects.model.js';
import { ApiError, DemoApi, type SimulationReport, simulate } from './demo/simulate.runner.js';

const USAGE = `usage: npm run demo -- [--base-url URL] [--key KEY] [--days N] [--customers N] [--seed N] [--in-process]`;

/** Refused input or an unusable service: exit 2 with the reason, after cleaning up. */
class DemoFailure extends Error {}

function fail(message: string): never {
  throw new DemoFailure(message);
}

function positiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

interface ReadoutView {
  latest: {
    readout: {
      decision: { action: string; variant?: string };
      metrics: Record<
        string,
        {
          role: string;
          kind: string;
          variants: Record<
            string,
            {
              chanceToBeatControl?: number;
              relativeLift?: { mean: number; ci95: [number, number] };
              absoluteLift?: { mean: number };
            }
          >;
        }
      >;
    } | null;
  } | null;
}

async function printResults(api: DemoApi, report: SimulationReport): Promise<void> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out('');
  out('True effects used, and what the readouts measured (primary metric, relative lift):');
  for (const exp of report.experiments) {
    const view = await api.call<ReadoutView>('GET', `/v1/experiments/${encodeURIComponent(exp.key)}/readout`);
    const readout = view.latest?.readout;
    const primaryKey = exp.metrics.find((m) => m.role === 'primary')?.key;
    const primary = primaryKey ? readout?.metrics[primaryKey] : undefined;
    out(
      `  ${exp.key}: decision ${readout ? `${readout.decision.action}${readout.decision.variant ? ` ${readout.decision.variant}` : ''}` : '(no readout)'}`,
    );
    for (const v of exp.variants) {
      const truth = trueEffect(exp.key, v.key, exp.control);
      if (!truth) continue;
      const m = primary?.variants[v.key];
      const measured = m?.relativeLift
        ? `measured ${pct(m.relativeLift.mean)} (95% CI ${pct(m.relativeLift.ci95[0])} to ${pct(m.relativeLift.ci95[1])}), chance to beat control ${((m.chanceToBeatControl ?? 0) * 100).toFixed(1)}%`
        : 'not measured yet';
      const source = SAMPLE_EFFECTS[exp.key]?.[v.key] ? '' : ' [generic]';
      out(
        `    ${v.key}: true primary ${pct(truth.primary)}, CSAT ${truth.satisfaction >= 0 ? '+' : ''}${truth.satisfaction.toFixed(2)} pts (NPS ${(trueNps(truth.satisfaction) - trueNps(0)).toFixed(1)} pts)${source}; ${measured}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const args = parseCli({
    name: 'npm run demo',
    usage: USAGE,
    options: {
      'base-url': { type: 'string' },
      key: { type: 'string' },
      days: { type: 'string' },
      customers: { type: 'string' },
      seed: { type: 'string' },
      'in-process': { type: 'boolean', default: false },
    },
  }).values;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const days = positiveInt('days', args.days as string | undefined, 5, 60);
  const customersPerDay = positiveInt('customers', args.customers as string | undefined, 60, 100_000);
  const seed = positiveInt('seed', args.seed as string | undefined, 42, 2 ** 31);

  let baseUrl: string;
  let apiKey: string;
  let cleanup: () => Promise<void> = async () => undefined;
  if (args['in-process']) {
    const logger = createLogger('warn');
    // The service's modules are loaded only for an in-process run, so --help answers at once.
    const [
      { createComposition },
      { openDatabase },
      { syncOnFirstStart },
      { createApp },
      { createHttpServer },
    ] = await Promise.all([
      import('../composition.js'),
      import('../db/open-database.js'),
      import('../domain/sync/first-start.js'),
      import('../http/app.js'),
      import('../http/server.js'),
    ]);
    const database = await openDatabase({ mongodbUri: config.MONGODB_URI, dataDir: config.DATA_DIR }, logger);
    const root = createComposition({
      config,
      connection: database.connection,
      logger,
      dataDir: path.resolve(repoRoot, config.DATA_DIR),
      database,
    });
    const { services } = root;
    await services.ensureIndexes();
    await syncOnFirstStart(services, path.resolve(repoRoot, config.EXPERIMENTS_DIR), logger);
    const temp = await services.apiKeys.create(systemActor, { name: `demo-${Date.now()}`, role: 'admin' });
    const app = createApp({ services, logger, bodyLimit: config.BODY_LIMIT, version: 'demo' });
    const server: Server = createHttpServer(app).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    apiKey = temp.secret;
    cleanup = async () => {
      await services.apiKeys.revoke(systemActor, temp.key.name).catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await root.close();
    };
  } else {
    // Entry-point flags and two variables only this command knows; the service's own configuration
    // is still read once through loadConfig above.
    baseUrl = (args['base-url'] as string | undefined) ?? process.env.BASE_URL ?? 'http://localhost:3000';
    const key =
      (args.key as string | undefined) ?? process.env.NUDGELAB_API_KEY ?? config.BOOTSTRAP_ADMIN_KEY;
    if (!key) fail('An admin API key is needed: --key, NUDGELAB_API_KEY or BOOTSTRAP_ADMIN_KEY.');
    apiKey = key;
  }

  const started = Date.now();
  try {
    process.stdout.write(
      `Simulating ${days} days x ${customersPerDay} customers per journey against ${args['in-process'] ? `an in-process service (${baseUrl})` : baseUrl}, seed ${seed}\n`,
    );
    const report = await simulate({
      baseUrl,
      apiKey,
      days,
      customersPerDay,
      seed,
      log: (line) => process.stdout.write(`  ${line}\n`),
    });
    if (report.experiments.length === 0) {
      fail(
        'No running experiments. Start the service once (npm start loads experiments/) or run npm run sync.',
      );
    }
    const api = new DemoApi(baseUrl, apiKey);
    await printResults(api, report);
    process.stdout.write(
      `\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.assignments} assignment requests, ${report.exposures} exposures, ${report.events} events, ${report.refreshes} refreshes` +
        `${report.failedRefreshes.length > 0 ? `, ${report.failedRefreshes.length} failed:\n  ${report.failedRefreshes.join('\n  ')}` : ''}.\n` +
        `Open ${args['in-process'] ? 'the dashboard (npm start)' : `${baseUrl}/dashboard`} and sign in with a viewer key.\n`,
    );
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      fail(`${err.message}\nThe demo needs an admin key (it assigns, sends events and refreshes readouts).`);
    }
    if (
      err instanceof TypeError &&
      String((err as { cause?: { code?: string } }).cause?.code) === 'ECONNREFUSED'
    ) {
      fail(`Nothing answers at ${baseUrl}. Start the service (npm start) or use --in-process.`);
    }
    throw err;
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  if (err instanceof DemoFailure) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
