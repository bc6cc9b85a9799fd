/** `npm run import -- --experiment <key> <file.csv> ...`: see import-command.ts. Refused input exits 2. */
import { runCommand } from './cli-context.js';
import { runImportCommand, USAGE } from './import-command.js';

runCommand(async (services) => (await runImportCommand(services, process.argv.slice(2))).lines, USAGE);
