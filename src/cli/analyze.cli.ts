/**
 * `npm run analyze -- input.json` or `cat input.json | npm run analyze`: prints the readout as
 * JSON on stdout. Bad input (unreadable file, invalid JSON, failed validation) goes to stderr,
 * one issue per line, with exit code 2 and nothing on stdout, so scripts can trust stdout.
 * `npm run analyze -- --plan plan.json` reads a plan input instead (kind, baseline, dailyExposures,
 * arms, lift, days) and prints the minimum detectable effect and the expected days to a decision.
 */
import { readFile } from 'node:fs/promises';
import { plan, planInputSchema, tryAnalyze } from '../stats/index.ts';
import { parseCli, stdinNotice, usageError } from './cli-args.ts';

const BAD_INPUT = 2;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function fail(lines: string[]): void {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exitCode = BAD_INPUT;
}

const USAGE = `usage: npm run analyze -- [--plan] [input.json]
  Prints the readout of an analysis input (per-arm sufficient statistics) as JSON; reads stdin
  when no file (or "-") is given.
    --plan    read a plan input instead (kind, baseline, dailyExposures, arms, lift, days) and print
              the minimum detectable effect and the expected days to a decision`;

async function main(): Promise<void> {
  const { values, positionals } = parseCli({
    name: 'npm run analyze',
    usage: USAGE,
    options: { plan: { type: 'boolean' } },
    allowPositionals: true,
  });
  const planning = values.plan ?? false;
  if (positionals.length > 1) usageError('npm run analyze', 'give one input file at most');
  const file = positionals[0];
  let text: string;
  try {
    const fromStdin = file === undefined || file === '-';
    const notice = fromStdin ? stdinNotice('npm run analyze', 'the input JSON', process.stdin.isTTY) : null;
    if (notice) process.stderr.write(`${notice}\n`);
    text = fromStdin ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    return fail([`cannot read ${file ?? 'stdin'}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail([`invalid JSON in ${file ?? 'stdin'}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  if (planning) {
    const parsed = planInputSchema.safeParse(raw);
    if (!parsed.success)
      return fail(parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`));
    process.stdout.write(`${JSON.stringify(plan(parsed.data), null, 2)}\n`);
    return;
  }
  const result = tryAnalyze(raw);
  if (!result.ok) return fail(result.issues.map((i) => `${i.path}: ${i.message}`));
  process.stdout.write(`${JSON.stringify(result.readout, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `analyze failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
