/**
 * Writes the README's reference of every field of a definitions file from the schemas:
 * `npm run fields:readme`. A test fails while the README's section differs from the schemas.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withDefinitionFields } from '../src/domain/sync/field-docs.js';

const readme = readFileSync('README.md', 'utf8');
const next = withDefinitionFields(readme);
if (next === undefined) throw new Error('README.md has no definition-fields markers');
writeFileSync('README.md', next);
console.log(
  next === readme ? 'README.md field reference is up to date' : 'README.md field reference rewritten',
);
