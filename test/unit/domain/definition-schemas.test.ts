import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeFieldNames, unescapeFieldNames } from '../../../src/db/field-names.js';
import { experimentInputSchema } from '../../../src/domain/schemas/experiment.schema.js';
import { nudgeInputSchema } from '../../../src/domain/schemas/nudge.schema.js';
import { touchpointInputSchema } from '../../../src/domain/schemas/touchpoint.schema.js';
import {
  definitionFileJsonSchema,
  experimentFileSchema,
} from '../../../src/domain/sync/definition-file.schema.js';
import { loadDefinitionFiles } from '../../../src/domain/sync/load-files.js';
import { planSync } from '../../../src/domain/sync/sync-plan.js';
import { issuesOf } from '../../../src/domain/validate.js';
import { experimentBody, nudgeBody, touchpointBody } from '../../helpers/definitions.js';

const root = path.resolve(import.meta.dirname, '../../..');

function paths(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown) {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return issuesOf(result.error as never).map((i) => i.path);
}

describe('touchpoint schema', () => {
  it('accepts the eight channels and refuses others', () => {
    for (const channel of ['web', 'app', 'email', 'sms', 'push', 'call-centre', 'branch', 'chat']) {
      expect(paths(touchpointInputSchema, { ...touchpointBody, channel })).toEqual([]);
    }
    expect(paths(touchpointInputSchema, { ...touchpointBody, channel: 'fax' })).toEqual(['channel']);
  });

  it('refuses unknown fields and upper-case keys', () => {
    expect(paths(touchpointInputSchema, { ...touchpointBody, key: 'Apply Step', colour: 'red' })).toEqual([
      'key',
      '(root)',
    ]);
  });
});

describe('nudge schema', () => {
  it("validates each variant's payload with its type's own schema", () => {
    const wrongPayload = {
      ...nudgeBody,
      variants: [
        nudgeBody.variants[0],
        { key: 'gain', name: 'Gain', payload: { frame: 'gain', message: 'Save' } },
      ],
    };
    expect(paths(nudgeInputSchema, wrongPayload)).toEqual([
      'variants[1].payload.option',
      'variants[1].payload.mode',
      'variants[1].payload',
    ]);
    const timing = {
      ...nudgeBody,
      type: 'timing',
      variants: [
        { key: 'now', name: 'Now', payload: { delayMinutes: 0 } },
        { key: 'evening', name: 'Evening', payload: { localHour: 24, weekdays: ['mon', 'someday'] } },
      ],
    };
    expect(paths(nudgeInputSchema, timing)).toEqual([
      'variants[1].payload.localHour',
      'variants[1].payload.weekdays[1]',
    ]);
  });

  it('refuses an unknown nudge type and duplicate variant keys', () => {
    expect(paths(nudgeInputSchema, { ...nudgeBody, type: 'bribe' })).toEqual(['type']);
    const dup = { ...nudgeBody, variants: [nudgeBody.variants[0], nudgeBody.variants[0]] };
    expect(paths(nudgeInputSchema, dup)).toEqual(['variants']);
  });
});

describe('experiment schema', () => {
  it('fills defaults for coverage, unit, overlap and the attribution window', () => {
    const { coverage: _c, ...rest } = experimentBody;
    const parsed = experimentInputSchema.parse(rest);
    expect(parsed).toMatchObject({ coverage: 1, unit: 'customerId', overlap: false, qaOverrides: [] });
    expect(parsed.metrics[0]?.windowHours).toBe(168);
  });

  it('requires weights that add up to 1, a control among the variants and at most one primary metric', () => {
    const bad = {
      ...experimentBody,
      control: 'baseline',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'fortnightly', weight: 0.6 },
      ],
      metrics: [experimentBody.metrics[0], { ...experimentBody.metrics[0], key: 'other' }],
    };
    expect(paths(experimentInputSchema, bad).sort()).toEqual(['control', 'metrics', 'variants']);
  });

  it('refuses a status in API input but accepts draft or running as the initial status in files', () => {
    expect(paths(experimentInputSchema, { ...experimentBody, status: 'running' })).toEqual(['(root)']);
    expect(paths(experimentFileSchema, { ...experimentBody, status: 'running' })).toEqual([]);
    expect(paths(experimentFileSchema, { ...experimentBody, status: 'concluded' })).toEqual(['status']);
  });
});

describe('stored field names', () => {
  it('round-trips GrowthBook conditions whose names start with $ or contain dots', () => {
    const targeting = { 'plan.tier': { $in: ['gold', '~x', '50%'] }, $or: [{ '~a': 1 }, { 'b%2E': 2 }] };
    const stored = escapeFieldNames({ targeting });
    expect(JSON.stringify(stored)).not.toMatch(/"\$|\.tier/);
    expect(unescapeFieldNames(stored)).toEqual({ targeting });
  });
});

describe('experiments as code files', () => {
  it('keeps experiments/schema.json equal to the schema generated from the zod schemas (run npm run schema)', async () => {
    const committed = JSON.parse(await readFile(path.join(root, 'experiments', 'schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(definitionFileJsonSchema())));
  });

  it('ships sample files that validate, reference each other and start several experiments', async () => {
    const { files, issues } = await loadDefinitionFiles(path.join(root, 'experiments'), root);
    expect(issues).toEqual([]);
    for (const f of files) {
      const text = await readFile(path.join(root, f.file), 'utf8');
      // Files in subfolders (experiments/templates) point one level up.
      const schema = f.file.split('/').length > 2 ? '../schema.json' : './schema.json';
      expect(text.startsWith(`# yaml-language-server: $schema=${schema}`), f.file).toBe(true);
    }
    const plan = planSync(
      files,
      { journey: [], touchpoint: [], nudge: [], experiment: [] },
      new Date().toISOString(),
    );
    expect(plan.issues).toEqual([]);
    const journeys = files.flatMap((f) => f.content.journeys ?? []);
    expect(new Set(journeys.map((j) => j.industry?.split(' ')[0])).size).toBeGreaterThanOrEqual(3);
    const nudges = files.flatMap((f) => f.content.nudges ?? []);
    expect(nudges.length).toBeGreaterThanOrEqual(6);
    expect([...new Set(nudges.map((n) => n.type))]).toEqual(
      expect.arrayContaining(['default', 'framing', 'timing']),
    );
    const experiments = files.flatMap((f) => f.content.experiments ?? []);
    // A past experiment whose history is imported has only the metric its file holds, and stays a draft.
    const history = new Set(
      (await readdir(path.join(root, 'experiments', 'history'))).map((f) => f.replace(/\.csv$/, '')),
    );
    const past = experiments.filter((e) => history.has(e.key));
    expect(past.map((e) => [e.key, e.status ?? 'draft'])).toEqual([
      ['free-shipping-gain-frame-2025', 'draft'],
    ]);
    for (const e of experiments) {
      expect(e.hypothesis.length).toBeGreaterThan(20);
      expect(e.metrics.filter((m) => m.role === 'primary' && m.kind === 'conversion')).toHaveLength(1);
      expect(e.owner).toBeTruthy();
      if (history.has(e.key)) continue;
      expect(e.metrics.some((m) => m.role === 'secondary')).toBe(true);
      expect(
        e.metrics.some(
          (m) => m.role === 'guardrail' && (m.event === 'csat' || m.kind === 'nps') && (m.margin ?? 0) > 0,
        ),
      ).toBe(true);
    }
    expect(experiments.some((e) => e.unit === 'accountId')).toBe(true);
    expect(plan.changes.filter((c) => c.start).length).toBeGreaterThanOrEqual(3);
  });
});
