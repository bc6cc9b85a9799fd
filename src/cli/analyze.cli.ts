/**
 * `npm run analyze -- input.json` or `cat input.json | npm run analyze`: prints the readout as
 * JSON on stdout. Bad input (unreadable file, invalid JSON, failed validation) goes to stderr,
 * one issue per line, with exit code 2 and nothing on stdout, so scripts can trust stdout.
 * `npm run analyze -- --plan plan.json` reads a plan input instead (kind, baseline, dailyExposures,
 * arms, lift, days) and prints the minimum detectable effect and the expected days to a decision.
 */
import { readFile } from 'node:fs/promises';
import { plan, planInputSchema, tryAnalyze } from '../stats/index.ts';

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

async function main(argv: string[]): Promise<void> {
  const planning = argv.includes('--plan');
  const args = argv.filter((a) => a !== '--plan');
  if (args.length > 1)
    return fail(['usage: analyze [--plan] [input.json]  (reads stdin when no file is given)']);
  const file = args[0];
  let text: string;
  try {
    text = file === undefined || file === '-' ? await readStdin() : await readFile(file, 'utf8');
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

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `analyze failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
