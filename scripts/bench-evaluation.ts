/**
 * Benchmark of evaluation alone: assignments per second of the compiled payload in process, one
 * touchpoint with 20 running experiments (exclusive, so each customer is in one and the other 19
 * are explained), on one core. Target: at least 100,000 per second.
 * Run alone with `npx tsx scripts/bench-evaluation.ts`.
 */
import type { Definitions } from '../src/domain/assignment/compiled.types.ts';
import { Evaluator } from '../src/domain/assignment/evaluator.ts';
import { compilePayload } from '../src/domain/assignment/payload-compiler.ts';
import { runIfMain } from './bench-output.ts';

export const TARGET_PER_SECOND = 100_000;
const rssMb = (): number => Math.round(process.memoryUsage().rss / 1e5) / 10;

export function benchDefinitions(experiments: number, overlap = false): Definitions {
  const keys = Array.from({ length: experiments }, (_, i) => `exp-${i}`);
  return {
    touchpoints: [{ key: 'checkout.banner' }],
    nudges: keys.map((k) => ({
      key: `n-${k}`,
      touchpoint: 'checkout.banner',
      type: 'framing',
      variants: ['control', 'loss', 'gain'].map((v) => ({
        key: v,
        name: v,
        payload: { frame: v, message: `${k} ${v}` },
      })),
    })),
    experiments: keys.map((k, i) => ({
      id: `exp_${i}`,
      key: k,
      name: k,
      nudge: `n-${k}`,
      status: 'running',
      phase: 1,
      startedAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      variants: [
        { key: 'control', weight: 0.34 },
        { key: 'loss', weight: 0.33 },
        { key: 'gain', weight: 0.33 },
      ],
      coverage: 0.9,
      targeting: { country: { $in: ['FR', 'DE', 'NL'] } },
      overlap,
    })),
  };
}

export async function runEvaluationBench(): Promise<{
  title: string;
  rows: Record<string, string | number>[];
}> {
  const rows: Record<string, string | number>[] = [];
  for (const overlap of [false, true]) {
    const rssBefore = rssMb();
    const ev = new Evaluator(compilePayload(benchDefinitions(20, overlap)));
    const tp = ev.touchpoint('checkout.banner');
    if (!tp) throw new Error('touchpoint missing');
    const countries = ['FR', 'DE', 'NL', 'US'];
    const users = Array.from({ length: 100_000 }, (_, i) => ({
      customerId: `cust-${i}`,
      channel: 'web',
      country: countries[i % 4],
    }));
    let inside = 0;
    for (let i = 0; i < 20_000; i++) ev.evaluate(tp, users[i % users.length] ?? {});
    const n = 300_000;
    const start = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      for (const r of ev.evaluate(tp, users[i % users.length] ?? {})) if (r.inExperiment) inside++;
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(start);
    const perSecond = Math.round(n / (wallMs / 1000));
    rows.push({
      case: overlap ? '20 overlapping' : '20 exclusive',
      evaluations: n,
      'per second': perSecond,
      'per CPU second': Math.round(n / ((cpu.user + cpu.system) / 1e6)),
      'µs each': Number(((wallMs * 1000) / n).toFixed(2)),
      'cpu ms': Math.round((cpu.user + cpu.system) / 1000),
      'in-experiment results': inside,
      // The target is for the default (exclusive) case; the overlapping one is for information.
      target: overlap ? '-' : TARGET_PER_SECOND,
      ok: overlap ? '-' : perSecond >= TARGET_PER_SECOND ? 'yes' : 'NO',
      'rss before MB': rssBefore,
      'rss after MB': rssMb(),
    });
  }
  return { title: 'Evaluation alone: one touchpoint, 20 running experiments, one core', rows };
}

runIfMain(import.meta.url, runEvaluationBench);
