/** `npm run keys -- create|list|revoke ...`: see keys-command.ts. Refused input exits 2. */
import { runCommand } from './cli-context.js';
import { runKeysCommand, USAGE } from './keys-command.js';

runCommand((services) => runKeysCommand(services, process.argv.slice(2)), USAGE);
