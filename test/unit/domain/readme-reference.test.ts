import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../../src/domain/errors.js';
import { nudgePayloadFieldsTable } from '../../../src/domain/sync/field-docs.js';

const root = path.resolve(import.meta.dirname, '../../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README reference tables', () => {
  it('documents every configuration variable of src/config.ts', () => {
    const source = readFileSync(path.join(root, 'src', 'config.ts'), 'utf8');
    const variables = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(variables.length).toBeGreaterThan(10);
    const table = section('Configuration');
    expect(variables.filter((v) => !table.includes(`| \`${v}\` |`))).toEqual([]);
  });

  it('documents every code of the error catalogue with its status', () => {
    const table = section('Error codes');
    const missing = Object.entries(errorCatalogue).filter(
      ([code, { status }]) => !table.includes(`| \`${code}\` | ${status} |`),
    );
    expect(missing.map(([code]) => code)).toEqual([]);
  });

  it('lists every section in its table of contents', () => {
    const outside = readme.replace(/```[\s\S]*?```/g, '');
    const headings = [...outside.matchAll(/^#{2,3} (.+)$/gm)]
      .map((m) => m[1]!)
      .filter((t) => t !== 'Contents');
    const contents = section('Contents');
    expect(headings.filter((t) => !contents.includes(`[${t}](#`))).toEqual([]);
  });

  it('puts the walk to a first readout before the reference sections', () => {
    expect(readme.indexOf('## Your first readout')).toBeGreaterThan(0);
    expect(readme.indexOf('## Your first readout')).toBeLessThan(readme.indexOf('## Configuration'));
  });

  it('documents every nudge payload field and allowed value as the schemas have them', () => {
    const table = nudgePayloadFieldsTable();
    expect(table).toContain('`social-norm`');
    expect(readme).toContain(table);
  });
});
