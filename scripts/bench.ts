/**
 * `npm run bench`: every benchmark in turn, each printed as a Markdown table (ready for the
 * README). Benchmarks are scripts, not tests: figures depend on the machine. `BENCH_ONLY=events,stats`
 * runs a subset.
 */
import os from 'node:os';
import { parseCli } from '../src/cli/cli-args.ts';
import { runAssignmentBench } from './bench-assignment.ts';
import { runDemoBench } from './bench-demo.ts';
import { runEvaluationBench } from './bench-evaluation.ts';
import { runEventsBench } from './bench-events.ts';
import { runExposureLogBench } from './bench-exposure-log.ts';
import { runFerretDbBench } from './bench-ferretdb.ts';
import { runLatencyBench } from './bench-latency.ts';
import { printResult } from './bench-output.ts';
import { runScaleBench } from './bench-scale.ts';
import { runStatsBench } from './bench-stats.ts';
import { runStorageBench } from './bench-storage.ts';

type Bench = () => Promise<{ title: string; rows: Record<string, string | number>[] }>;

const benches: Record<string, Bench> = {
  stats: runStatsBench,
  evaluation: runEvaluationBench,
  assignment: runAssignmentBench,
  latency: runLatencyBench,
  log: runExposureLogBench,
  events: runEventsBench,
  ferretdb: runFerretDbBench,
  storage: runStorageBench,
  scale: runScaleBench,
  demo: runDemoBench,
};

parseCli({
  name: 'npm run bench',
  usage: `usage: npm run bench
  Runs every benchmark in turn (minutes; figures depend on the machine) and prints each as a
  Markdown table. BENCH_ONLY=${Object.keys(benches).join(',')} runs a subset.`,
  options: {},
});

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `Machine: ${os.cpus().length} cores (${cpu}), Node ${process.version}, ${Math.round(os.totalmem() / 2 ** 30)} GB, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n\n`,
  );
  for (const [name, run] of Object.entries(benches)) {
    if (only && !only.includes(name)) continue;
    const { title, rows } = await run();
    printResult({ title, rows });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
