import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../../src/domain/errors.js';
import { journeyInputSchema } from '../../../src/domain/schemas/journey.schema.js';
import { framingPayloadSchema, nudgeInputSchema } from '../../../src/domain/schemas/nudge.schema.js';
import { touchpointInputSchema } from '../../../src/domain/schemas/touchpoint.schema.js';
import { experimentFileSchema } from '../../../src/domain/sync/definition-file.schema.js';
import {
  definitionFieldsSection,
  FIELDS_END,
  FIELDS_START,
  nudgePayloadFieldsTable,
} from '../../../src/domain/sync/field-docs.js';

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

  it('when the schemas change, then the README field reference is the one generated from them (npm run fields:readme)', () => {
    const from = readme.indexOf(FIELDS_START);
    const to = readme.indexOf(FIELDS_END);
    expect(from).toBeGreaterThan(0);
    expect(readme.slice(from, to + FIELDS_END.length)).toBe(definitionFieldsSection());
  });

  it('documents every field of journeys, touchpoints, nudges and experiments, and every frame', () => {
    const section = definitionFieldsSection();
    const block = (title: string) => section.slice(section.indexOf(`**${title}**`)).split('\n\n**')[0]!;
    const nudgeFields = Object.keys(nudgeInputSchema.options[0].shape);
    for (const [title, fields] of [
      ['Journeys', Object.keys(journeyInputSchema.shape)],
      ['Touchpoints', Object.keys(touchpointInputSchema.shape)],
      ['Nudges', nudgeFields],
      ['Experiments', Object.keys(experimentFileSchema.shape)],
    ] as const) {
      expect(fields.length, title).toBeGreaterThan(3);
      expect(
        fields.filter((f) => !block(title).includes(`| \`${f}\` |`)),
        title,
      ).toEqual([]);
    }
    expect(block('Journeys')).toContain('| `stages[].key` | yes |');
    expect(block('Experiments')).toContain(
      '| `metrics[].kind` | yes | `conversion`, `mean`, `nps`, `ratio`, `ordinal`, `revenue` |',
    );
    for (const frame of framingPayloadSchema.shape.frame.options) expect(section).toContain(`\`${frame}\``);
    expect(section).toContain(nudgePayloadFieldsTable());
  });
});
