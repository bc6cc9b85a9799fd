/** `npm run import -- --experiment <key> <file.csv> ...`: see import-command.ts. Refused input exits 2. */
import { parseCli } from './cli-args.js';
import { runCommand } from './cli-context.js';
import { IMPORT_OPTIONS, runImportCommand, USAGE } from './import-command.js';

// Before the database is opened: --help and a mistyped option touch nothing.
parseCli({ name: 'npm run import', usage: USAGE, options: IMPORT_OPTIONS, allowPositionals: true });
runCommand(async (services) => (await runImportCommand(services, process.argv.slice(2))).lines, USAGE);
