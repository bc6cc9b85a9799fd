/**
 * Calibration of the default decision rule by simulation (`npm run calibrate`).
 *
 * Every simulated experiment has a conversion metric, a 10% baseline and 1,000 users per arm per
 * day for 28 days (28,000 per arm at the end), and is analysed with the public `analyze` after
 * every day. From the same runs we read the single look at the end, 14 looks (every other day) and
 * 28 daily looks, stopping at the first `ship`. Experiment i of a scenario draws from its own
 * seeded stream, so results do not depend on how the work is split between the two workers.
 * Options: --experiments=N, --bayes-factor=B, --arms=K, --only=<scenario>, --kind=nps.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseCli } from '../src/cli/cli-args.ts';
import { type AnalyzeInputRaw, analyze, isVariantResult } from '../src/stats/index.ts';
import { createRng } from '../src/stats/rng.ts';
import { type RuleOutcome, type RuleScenario, simulateRule } from './calibrate-rules.ts';

const USAGE = `usage: npm run calibrate -- [--experiments=N] [--bayes-factor=B] [--arms=K] [--only=<scenario>] [--kind=nps]
  Simulates experiments analysed after every day for 28 days and prints how often the default
  rule ships, by scenario (takes minutes).
    --experiments=N     experiments per scenario (default 500)
    --bayes-factor=B    try another Bayes factor than the default
    --arms=K            arms per experiment (default 2)
    --only=<scenario>   run only the scenarios whose name starts with this, e.g. A/A
    --kind=nps          an NPS primary instead of a conversion
    --rule-experiments=N  experiments per scenario of the guardrail-rule comparison (default 200)`;

// Parsed in the workers too (they load this file with the same arguments).
const options = parseCli({
  name: 'npm run calibrate',
  usage: USAGE,
  options: {
    experiments: { type: 'string' },
    'bayes-factor': { type: 'string' },
    arms: { type: 'string' },
    only: { type: 'string' },
    kind: { type: 'string' },
    'rule-experiments': { type: 'string' },
  },
}).values;
const arg = (name: keyof typeof options): string | undefined => options[name];
const BASELINE = 0.1;
const DAILY = 1000;
const DAYS = 28;
const EXPERIMENTS = Number(arg('experiments') ?? 500);
const SEED = 20240611;
/** Overrides the default Bayes factor, to show the trade-off; the defaults are what is calibrated. */
const BAYES_FACTOR = arg('bayes-factor');
/**
 * Arms per experiment (default 2): with more, the extra variants have no effect, so the A/A row
 * measures false ships across several comparisons with one control.
 */
const ARMS = Math.max(2, Number(arg('arms') ?? 2));
/** Run only the scenarios whose name starts with this (e.g. `--only=A/A`). */
const ONLY = arg('only');
/**
 * `--kind=nps` simulates an NPS primary instead: control shares 25% detractors, 35% passives, 40%
 * promoters (NPS 15); a lift L moves L x 40% of the answers from detractors to promoters
 * (+80 L NPS points, so +8 for "+10%").
 */
const KIND: 'conversion' | 'nps' = arg('kind') === 'nps' ? 'nps' : 'conversion';
const NPS_SHARES = { detractors: 0.25, passives: 0.35, promoters: 0.4 };

type Counts =
  | { n: number; conversions: number }
  | { detractors: number; passives: number; promoters: number };

/** One day of one arm, added to its running counts; the same stream as ever for conversion. */
function addDay(rng: ReturnType<typeof createRng>, counts: Counts | undefined, lift: number): Counts {
  if (KIND === 'conversion') {
    const before = counts && 'conversions' in counts ? counts.conversions : 0;
    const n = (counts && 'n' in counts ? counts.n : 0) + DAILY;
    return { n, conversions: before + rng.binomial(DAILY, BASELINE * (1 + lift)) };
  }
  const moved = lift * NPS_SHARES.promoters;
  const pD = NPS_SHARES.detractors - moved;
  const d = rng.binomial(DAILY, pD);
  const p = rng.binomial(DAILY - d, NPS_SHARES.passives / (1 - pD));
  const prev = counts && 'detractors' in counts ? counts : { detractors: 0, passives: 0, promoters: 0 };
  return {
    detractors: prev.detractors + d,
    passives: prev.passives + p,
    promoters: prev.promoters + DAILY - d - p,
  };
}

interface Scenario {
  name: string;
  lift: number;
  seed: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'A/A', lift: 0, seed: SEED },
  { name: 'A/B +10%', lift: 0.1, seed: SEED + 1 },
  { name: 'A/B +5%', lift: 0.05, seed: SEED + 2 },
];

/** What happened in one simulated experiment. */
interface Outcome {
  /** First day (1-based) the default rule said ship the variant; 0 if never. */
  firstShipDay: number;
  firstShipDayEven: number;
  /** Same for the rule without the Bayes-factor gate (chance >= 0.95 and loss tolerance only). */
  naiveFirstShipDay: number;
  finalShip: boolean;
  finalNaiveShip: boolean;
  finalCovered: boolean;
  finalKeepControl: boolean;
}

function simulate(scenario: Scenario, index: number): Outcome {
  const rng = createRng((scenario.seed * 1_000_003 + index) >>> 0);
  const trueDiff = KIND === 'conversion' ? BASELINE * (1 + scenario.lift) - BASELINE : 80 * scenario.lift;
  const counts = new Array<Counts | undefined>(ARMS).fill(undefined);
  const keys = counts.map((_, i) => (i === 0 ? 'a' : i === 1 ? 'b' : `null${i - 1}`));
  const out: Outcome = {
    firstShipDay: 0,
    firstShipDayEven: 0,
    naiveFirstShipDay: 0,
    finalShip: false,
    finalNaiveShip: false,
    finalCovered: false,
    finalKeepControl: false,
  };
  for (let day = 1; day <= DAYS; day++) {
    // Control first, then the variant: the same stream as ever for two arms.
    for (let i = 0; i < ARMS; i++) counts[i] = addDay(rng, counts[i], i === 1 ? scenario.lift : 0);
    const n = DAILY * day;
    const readout = analyze({
      control: 'a',
      variants: keys.map((key) => ({ key, weight: 1, exposures: n })),
      metrics: [
        {
          key: 'primary',
          kind: KIND,
          role: 'primary',
          data: Object.fromEntries(keys.map((k, i) => [k, counts[i]])),
        } as AnalyzeInputRaw['metrics'][number],
      ],
      ...(BAYES_FACTOR ? { decision: { sequential: { bayesFactor: Number(BAYES_FACTOR) } } } : {}),
    });
    const variants = readout.metrics.primary?.variants ?? {};
    const r = variants.b;
    const base = variants.a;
    if (!isVariantResult(r) || !base || base.status !== 'ok')
      throw new Error('simulation produced no comparison');
    // A/A: any ship is false. A/B: power is shipping the variant that is better.
    const target = (key: string): boolean => (scenario.lift === 0 ? key !== 'a' : key === 'b');
    const ship = readout.decision.action === 'ship' && target(readout.decision.variant ?? 'a');
    const naive = keys.some((k) => {
      const x = variants[k];
      return (
        target(k) &&
        isVariantResult(x) &&
        x.chanceToBeatControl >= 0.95 &&
        x.expectedLoss.ship <= 0.001 * naiveScale(base, n) &&
        n >= 100
      );
    });
    if (ship && out.firstShipDay === 0) out.firstShipDay = day;
    if (ship && day % 2 === 0 && out.firstShipDayEven === 0) out.firstShipDayEven = day;
    if (naive && out.naiveFirstShipDay === 0) out.naiveFirstShipDay = day;
    if (day === DAYS) {
      out.finalShip = ship;
      out.finalNaiveShip = naive;
      out.finalKeepControl = readout.decision.action === 'keep-control';
      out.finalCovered = r.absoluteLift.ci95[0] <= trueDiff && trueDiff <= r.absoluteLift.ci95[1];
    }
  }
  return out;
}

/**
 * The default rule's loss scale, for the "naive" column: |control| for conversion; for NPS the
 * larger of that and one answer's sd, read off the control's near-normal 95% interval.
 */
function naiveScale(base: { estimate: number; ci95: [number, number] }, n: number): number {
  if (KIND === 'conversion') return Math.abs(base.estimate);
  const perAnswer = ((base.ci95[1] - base.ci95[0]) / (2 * 1.959964)) * Math.sqrt(n);
  return Math.max(Math.abs(base.estimate), perAnswer);
}

interface Job {
  scenario: Scenario;
  rule?: RuleScenario;
  experiments?: number;
  from: number;
  to: number;
}

function runJob(job: Job): Outcome[] | RuleOutcome[] {
  const { rule } = job;
  if (rule) {
    const out: RuleOutcome[] = [];
    for (let i = job.from; i < job.to; i++) out.push(simulateRule(rule, i));
    return out;
  }
  const out: Outcome[] = [];
  for (let i = job.from; i < job.to; i++) out.push(simulate(job.scenario, i));
  return out;
}

function runInWorker<T>(job: Job): Promise<T[]> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit tsx's loader, so each registers it before loading this file.
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
    const worker = new Worker(boot, { eval: true, workerData: job, argv: process.argv.slice(2) });
    worker.once('message', (m: T[]) => resolve(m));
    worker.once('error', reject);
  });
}

async function runScenario(scenario: Scenario, workers: number): Promise<Outcome[]> {
  const size = Math.ceil(EXPERIMENTS / workers);
  const jobs = Array.from({ length: workers }, (_, w) => ({
    scenario,
    from: w * size,
    to: Math.min(EXPERIMENTS, (w + 1) * size),
  }));
  if (workers === 1) return runJob({ scenario, from: 0, to: EXPERIMENTS }) as Outcome[];
  return (await Promise.all(jobs.map((j) => runInWorker<Outcome>(j)))).flat();
}

async function runRule(rule: RuleScenario, workers: number): Promise<RuleOutcome[]> {
  const size = Math.ceil(rule.experiments / workers);
  const scenario = SCENARIOS[0] as Scenario;
  const jobs = Array.from({ length: workers }, (_, w) => ({
    scenario,
    rule,
    from: w * size,
    to: Math.min(rule.experiments, (w + 1) * size),
  }));
  if (workers === 1) return runJob({ scenario, rule, from: 0, to: rule.experiments }) as RuleOutcome[];
  return (await Promise.all(jobs.map((j) => runInWorker<RuleOutcome>(j)))).flat();
}

/** Experiments per rule row; the many-arm rows cost a 25-arm readout per look that passes the gate. */
const RULE_EXPERIMENTS = Number(arg('rule-experiments') ?? 200);

type RuleRow = Omit<RuleScenario, 'seed' | 'experiments'> & {
  target: string;
  meets: (rate: number) => boolean;
};
const RULE_ROWS: RuleRow[] = [
  {
    suite: 'guard-aa',
    name: 'Guardrails A/A: 3 neutral CSAT guardrails, 2,000 users per arm by day 28',
    target: 'stop for harm <= 5%',
    meets: (r) => r <= 0.05,
  },
  {
    suite: 'guard-harm',
    name: 'Guardrail harm: CSAT -0.2 points (sd 1.1) + 2 neutral, 2,000 users per arm by day 28',
    target: 'stop for harm >= 80%',
    meets: (r) => r >= 0.8,
  },
  {
    suite: 'guard-ship',
    name: 'A/B +10% with 3 neutral CSAT guardrails (1,000 per arm per day)',
    target: 'ship (compare A/B +10% above)',
    meets: () => true,
  },
  {
    suite: 'plan-aa',
    name: 'A/A, gate tuned to the planned 28,000 per arm',
    target: 'false ship <= 5%',
    meets: (r) => r <= 0.05,
  },
  {
    suite: 'plan-ab',
    name: 'A/B +10%, gate tuned to the planned 28,000 per arm',
    target: 'ship',
    meets: () => true,
  },
  {
    suite: 'many-aa',
    name: 'Many arms A/A: 24 variants, tuned gate',
    target: 'family-wise false ship <= 5%',
    meets: (r) => r <= 0.05,
  },
  {
    suite: 'many-ab',
    name: 'Many arms: one +10% arm among 24 variants, tuned gate',
    target: 'ship the +10% arm >= 80%',
    meets: (r) => r >= 0.8,
  },
];
const RULES = RULE_ROWS.map((r, i) => ({ ...r, seed: SEED + 100 + i, experiments: RULE_EXPERIMENTS }));

const pct = (count: number, of: number): string => `${((100 * count) / of).toFixed(1)}%`;

/** 95% binomial interval half-width, so readers can judge the simulation error. */
const moe = (count: number, of: number): string => {
  const p = count / of;
  return `±${(196 * Math.sqrt((p * (1 - p)) / of)).toFixed(1)}`;
};

async function main(): Promise<void> {
  const workers = Math.max(1, Math.min(2, availableParallelism()));
  const started = performance.now();
  const rows: string[] = [];
  for (const s of SCENARIOS.filter((x) => ONLY === undefined || x.name.startsWith(ONLY))) {
    const outcomes = await runScenario(s, workers);
    const N = outcomes.length;
    const count = (f: (o: Outcome) => boolean): number => outcomes.filter(f).length;
    const single = count((o) => o.finalShip);
    const every2 = count((o) => o.firstShipDayEven > 0);
    const daily = count((o) => o.firstShipDay > 0);
    const naiveSingle = count((o) => o.finalNaiveShip);
    const naiveDaily = count((o) => o.naiveFirstShipDay > 0);
    const covered = count((o) => o.finalCovered);
    const stopDays = outcomes.filter((o) => o.firstShipDay > 0).map((o) => o.firstShipDay);
    const meanDay = stopDays.length
      ? (stopDays.reduce((a, b) => a + b, 0) / stopDays.length).toFixed(1)
      : '-';
    rows.push(
      `| ${s.name} | ${pct(single, N)} ${moe(single, N)} | ${pct(every2, N)} | ${pct(daily, N)} ${moe(daily, N)} | ${meanDay} | ${pct(naiveSingle, N)} | ${pct(naiveDaily, N)} | ${pct(covered, N)} ${moe(covered, N)} |`,
    );
  }
  const ruleRows: string[] = [];
  let missed = 0;
  const ruleStarted = performance.now();
  for (const r of RULES.filter((x) => ONLY === undefined || x.suite.startsWith(ONLY))) {
    const { suite, name, seed, experiments } = r;
    const outcomes = await runRule({ suite, name, seed, experiments }, workers);
    const N = outcomes.length;
    const hits = outcomes.filter((o) => o.day > 0);
    const rate = hits.length / N;
    const meanDay = hits.length ? (hits.reduce((a, o) => a + o.day, 0) / hits.length).toFixed(1) : '-';
    const lifts = hits.filter((o) => o.rawLift !== undefined);
    const avg = (f: (o: RuleOutcome) => number) =>
      `${((100 * lifts.reduce((a, o) => a + f(o), 0)) / lifts.length).toFixed(1)}%`;
    const liftCell = lifts.length ? `${avg((o) => o.rawLift ?? 0)} / ${avg((o) => o.shrunkLift ?? 0)}` : '-';
    const ok = r.meets(rate);
    if (!ok) missed++;
    ruleRows.push(
      `| ${r.name} | ${pct(hits.length, N)} ${moe(hits.length, N)} | ${meanDay} | ${liftCell} | ${r.target} | ${ok ? 'met' : 'MISSED'} |`,
    );
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const ruleSeconds = ((performance.now() - ruleStarted) / 1000).toFixed(0);
  const lines = [
    `## Calibration of the default decision rule`,
    '',
    `${EXPERIMENTS} simulated experiments per row; ${ARMS} arms; ` +
      (KIND === 'conversion'
        ? `conversion metric, baseline ${BASELINE * 100}%, `
        : 'NPS metric, control NPS 15 (25/35/40%), lift L = +80 L points, ') +
      `${DAILY.toLocaleString('en-US')} users per arm per day for ${DAYS} days ` +
      `(n = ${(DAILY * DAYS).toLocaleString('en-US')} per arm at the end); seed ${SEED}; ${workers} worker(s), ${seconds} s.` +
      (BAYES_FACTOR ? ` Bayes factor threshold overridden to ${BAYES_FACTOR}.` : ' Default decision rule.'),
    'Ship columns: share of experiments where the decision was `ship` (A/A: any variant, a false ship; A/B: the better variant, power).',
    'Columns with several looks stop at the first `ship` over that many looks. "naive" is chance >= 0.95 and the loss tolerance',
    'without the Bayes-factor gate, for comparison. Coverage: the 95% interval of the absolute lift contains the true',
    'lift at the final look. ± is the 95% simulation margin in percentage points.',
    '',
    '| scenario | ship, one look at the end | ship, 14 looks | ship, 28 daily looks | mean day of ship | naive, one look | naive, 28 looks | coverage of 95% interval |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `## Guardrails, the plan-tuned gate and many-arm studies`,
    '',
    `${RULE_EXPERIMENTS} simulated experiments per row, 28 daily looks, each stopping at the first ship or stop-guardrail;`,
    'conversion primary at 10%; CSAT guardrails with mean 4.1 and sd 1.1, answered by every user; default margins',
    `(1% of the decision scale). Rate: share of runs with the row's event (stop for harm, or ship) within 28 looks. Lift`,
    `columns: mean relative lift of the shipped true arm, raw / shrunk by the hierarchical model (true lift +10%). ${ruleSeconds} s.`,
    '',
    '| scenario | rate | mean day | raw / shrunk lift of the shipped arm | target | |',
    '|---|---:|---:|---:|---|---|',
    ...ruleRows,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (missed > 0) process.exitCode = 1;
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  parentPort?.postMessage(runJob(workerData as Job));
}
