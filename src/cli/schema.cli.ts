/**
 * `npm run schema`: writes experiments/schema.json, the JSON Schema of a definitions file,
 * generated from the same zod schemas the service validates with (a test keeps it in step).
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../db/embedded.js';
import { definitionFileJsonSchema } from '../domain/sync/definition-file.schema.js';
import { parseCli } from './cli-args.js';

parseCli({
  name: 'npm run schema',
  usage: `usage: npm run schema
  Writes experiments/schema.json, the JSON Schema of a definitions file (for editors), from the
  same schemas the service validates with.`,
  options: {},
});

const schemaPath = path.join(repoRoot, 'experiments', 'schema.json');

await writeFile(schemaPath, `${JSON.stringify(definitionFileJsonSchema(), null, 2)}\n`);
// Formatted like every other file, so the lint step of `npm test` accepts the generated file.
const biome = spawnSync(
  path.join(repoRoot, 'node_modules', '.bin', 'biome'),
  ['format', '--write', schemaPath],
  {
    stdio: 'inherit',
  },
);
if (biome.status !== 0) process.exit(biome.status ?? 1);
process.stdout.write(`wrote ${path.relative(process.cwd(), schemaPath)}\n`);
