/** `npm run import -- --experiment <key> <file.csv> ...`: see import-command.ts. Refused input exits 2. */
import { DomainError } from '../domain/errors.js';
import { withServices } from './cli-context.js';
import { runImportCommand, USAGE } from './import-command.js';

function fail(lines: string[]): never {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let lines: string[];
  try {
    lines = await withServices(
      async (services) => (await runImportCommand(services, process.argv.slice(2))).lines,
    );
  } catch (err) {
    if (err instanceof DomainError) {
      const fields =
        (err.details as { fields?: { path: string; reason: string }[] } | undefined)?.fields ?? [];
      fail([err.message, ...fields.map((f) => `  ${f.path}: ${f.reason}`)]);
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      fail([err.message, USAGE]);
    }
    throw err;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
