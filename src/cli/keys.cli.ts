/** `npm run keys -- create|list|revoke ...`: see keys-command.ts. Refused input exits 2. */
import { parseCli } from './cli-args.js';
import { runCommand } from './cli-context.js';
import { KEYS_OPTIONS, runKeysCommand, USAGE } from './keys-command.js';

// Before the database is opened: --help and a mistyped option touch nothing.
parseCli({ name: 'npm run keys', usage: USAGE, options: KEYS_OPTIONS, allowPositionals: true });
runCommand((services) => runKeysCommand(services, process.argv.slice(2)), USAGE);
