import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSync, syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

const nudgeOf = {
  key: 'n',
  touchpoint: 't',
  type: 'framing',
  name: 'N',
  principle: 'Loss aversion',
  variants: [
    { key: 'control', name: 'C', payload: { frame: 'neutral', message: 'a' } },
    { key: 'loss', name: 'L', payload: { frame: 'loss', message: 'b' } },
  ],
};
const samples = path.resolve(import.meta.dirname, '../../experiments');
const BANK = 'banking-home-loan.yaml';

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-sync-'));
  cpSync(samples, dir, { recursive: true });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h.close();
});

const sync = (opts: { dryRun?: boolean; in?: string } = {}) =>
  syncDefinitions(h.services, { dir: opts.in ?? dir, dryRun: opts.dryRun, displayBase: opts.in ?? dir });

/** Every stored definition with its version and status, plus the audit log size: what "unchanged" means. */
async function stateOf() {
  const all = [
    ...(await h.services.journeys.list()),
    ...(await h.services.touchpoints.list()),
    ...(await h.services.nudges.list()),
    ...(await h.services.experiments.list()),
  ] as { key: string; version: number; status?: string }[];
  const audit = (await h.services.audit.list({ limit: 1000 })).items;
  return {
    definitions: all.map((d) => `${d.key}@${d.version}:${d.status ?? ''}`).sort(),
    audit: audit.length,
  };
}

function edit(file: string, from: string, to: string, base = dir) {
  const p = path.join(base, file);
  const text = readFileSync(p, 'utf8');
  if (!text.includes(from)) throw new Error(`"${from}" not in ${file}`);
  writeFileSync(p, text.replace(from, to));
}

describe('experiments as code', () => {
  it('dry-runs the sample folder on an empty database: reports creates and starts, writes nothing', async () => {
    const result = await sync({ dryRun: true });
    expect(result.issues).toEqual([]);
    expect(result.written).toBe(false);
    expect(result.changes.every((c) => c.action === 'create')).toBe(true);
    expect(describeSync(result, true).at(-1)).toMatch(
      /^dry run: \d+ to create, 0 to update, 0 unchanged, \d+ to start; nothing was written$/,
    );
    expect(await stateOf()).toEqual({ definitions: [], audit: 4 });
  });

  it('creates every definition, starts the experiments declared running and audits them as sync', async () => {
    const result = await sync();
    expect(result.issues).toEqual([]);
    const started = result.changes.filter((c) => c.start && c.kind === 'experiment').map((c) => c.key);
    expect(started).toContain('repayment-frequency-default-2026q4');
    // The sample journeys' holdouts are started too.
    const holdouts = result.changes.filter((c) => c.start && c.kind === 'holdout').map((c) => c.key);
    expect(holdouts.sort()).toEqual([
      'checkout-holdout',
      'home-loan-programme-holdout',
      'mobile-onboarding-holdout',
    ]);
    const running = await h.request().get('/v1/experiments?status=running').set(auth(h.keys.viewer));
    expect(running.body.items.map((e: { key: string }) => e.key).sort()).toEqual([...started].sort());
    expect(running.body.items.every((e: { phase: number }) => e.phase === 1)).toBe(true);
    const audit = await h.request().get('/v1/audit?actor=sync&action=start').set(auth(h.keys.admin));
    expect(audit.body.items).toHaveLength(started.length + holdouts.length);
    const b2b = await h.services.experiments.get('renewal-term-24-default');
    expect(b2b).toMatchObject({ unit: 'accountId', touchpoint: 'business-fibre-renewal.renew.offer-email' });
  });

  it('changes nothing on a second sync', async () => {
    const before = await stateOf();
    const result = await sync();
    expect(result.issues).toEqual([]);
    expect(result.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(await stateOf()).toEqual(before);
  });

  it('refuses a folder with broken files, naming file, path and reason for each problem, and writes nothing', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-broken-'));
    try {
      cpSync(dir, broken, { recursive: true });
      // A valid change that must not be written because other files are broken.
      edit(
        BANK,
        'name: Fortnightly repayments as the default',
        'name: Fortnightly default (renamed)',
        broken,
      );
      edit('retail-checkout.yaml', '{ key: gain, weight: 0.5 }', '{ key: gain, weight: 0.6 }', broken);
      edit('retail-checkout.yaml', '    channel: email\n', '    channel: email\n    colour: red\n', broken);
      edit('telecom-onboarding.yaml', 'nudge: data-usage-social-norm\n', 'nudge: no-such-nudge\n', broken);
      writeFileSync(path.join(broken, 'extra.yaml'), 'journeys:\n  - key: [unclosed\n');
      const before = await stateOf();
      const result = await sync({ in: broken });
      expect(result.written).toBe(false);
      const lines = describeSync(result, false);
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^extra\.yaml: line \d+: invalid YAML: /),
          expect.stringMatching(
            /^retail-checkout\.yaml: experiments\[0\]\.variants: weights must add up to 1 \(got 1\.1\) \(line \d+\)$/,
          ),
          expect.stringMatching(
            /^retail-checkout\.yaml: touchpoints\[2\]: unknown key "colour" \(line \d+\)$/,
          ),
          // A reference problem has its line too, in the same run as the schema problems.
          expect.stringMatching(
            /^telecom-onboarding\.yaml: experiments\[2\]\.nudge: no nudge with key "no-such-nudge" \(line \d+\)$/,
          ),
        ]),
      );
      expect(lines).toHaveLength(5);
      expect(lines.at(-1)).toMatch(/nothing was written$/);
      expect(await stateOf()).toEqual(before);
      // With the schema errors fixed, the cross-reference error is the only one left.
      writeFileSync(path.join(broken, 'extra.yaml'), '{}\n');
      cpSync(path.join(dir, 'retail-checkout.yaml'), path.join(broken, 'retail-checkout.yaml'));
      const refs = await sync({ in: broken });
      expect(describeSync(refs, false)[0]).toMatch(
        /^telecom-onboarding\.yaml: experiments\[2\]\.nudge: no nudge with key "no-such-nudge" \(line \d+\)$/,
      );
      expect(await stateOf()).toEqual(before);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('reports reference problems in valid files beside schema problems, but not references into broken files', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'nudgelab-refs-'));
    try {
      const journey = { key: 'new-journey', name: 'New', stages: [{ key: 'Bad Stage', name: 'Bad' }] };
      writeFileSync(path.join(other, 'a.json'), JSON.stringify({ journeys: [journey] }));
      const touchpoint = {
        key: 'new-journey.tp',
        journey: 'new-journey',
        stage: 'start',
        channel: 'web',
        name: 'T',
      };
      const nudge = { ...nudgeOf, key: 'n2', touchpoint: 'nope-touchpoint' };
      const b = JSON.stringify({ touchpoints: [touchpoint], nudges: [nudge] }, null, 2);
      writeFileSync(path.join(other, 'b.json'), b);
      // JSON files name their lines too: the line of the nudge's touchpoint field.
      const line = b.split('\n').findIndex((l) => l.includes('"touchpoint": "nope-touchpoint"')) + 1;
      expect(line).toBeGreaterThan(1);
      const before = await stateOf();
      const lines = describeSync(await sync({ in: other }), false);
      expect(lines).toEqual([
        expect.stringMatching(/^a\.json: journeys\[0\]\.stages\[0\]\.key: must be lower-case.* \(line 1\)$/),
        `b.json: nudges[0].touchpoint: no touchpoint with key "nope-touchpoint" (line ${line})`,
        'sync refused: 2 problem(s); nothing was written',
      ]);
      expect(await stateOf()).toEqual(before);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a $-prefixed key outside targeting with its path', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'nudgelab-dollar-'));
    try {
      writeFileSync(
        path.join(other, 'j.json'),
        JSON.stringify({
          journeys: [{ key: 'jj', name: 'J', stages: [{ key: 'a', name: 'A', $where: 1 }] }],
        }),
      );
      const result = await sync({ in: other });
      expect(describeSync(result, false)[0]).toBe(
        'j.json: journeys[0].stages[0].$where: keys starting with "$" are not allowed',
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('never breaks a running experiment: locked fields are refused, other edits apply and it keeps running', async () => {
    edit(BANK, '{ key: fortnightly, weight: 0.5 }', '{ key: fortnightly, weight: 0.7 }');
    edit(
      BANK,
      '{ key: control, weight: 0.5 }\n      - { key: fortnightly',
      '{ key: control, weight: 0.3 }\n      - { key: fortnightly',
    );
    const before = await stateOf();
    const locked = await sync();
    expect(describeSync(locked, false)[0]).toBe(
      `${BANK}: experiments[0].variants: variants and weights cannot change (experiment_locked) (line 113)`,
    );
    expect(await stateOf()).toEqual(before);
    cpSync(path.join(samples, BANK), path.join(dir, BANK));

    edit(
      BANK,
      'status: running\n\n  - key: document-reminder-evening',
      'status: draft\n\n  - key: document-reminder-evening',
    );
    edit(BANK, 'name: Fortnightly repayments as the default', 'name: Fortnightly repayments by default');
    const dry = await sync({ dryRun: true });
    const change = dry.changes.find((c) => c.key === 'repayment-frequency-default-2026q4');
    expect(change).toMatchObject({ action: 'update', fields: ['name'] });
    expect(describeSync(dry, true).find((l) => l.includes('repayment-frequency-default-2026q4'))).toMatch(
      /^update\s+experiment\s+repayment-frequency-default-2026q4\s+banking-home-loan\.yaml {2}\[name\] {2}\(status "draft"/,
    );
    expect(change?.note).toMatch(/status "draft" in the file is ignored: the experiment is running/);
    expect(await stateOf()).toEqual(before);
    const applied = await sync();
    expect(applied.issues).toEqual([]);
    const exp = await h.services.experiments.get('repayment-frequency-default-2026q4');
    expect(exp).toMatchObject({
      name: 'Fortnightly repayments by default',
      status: 'running',
      phase: 1,
      version: 3,
    });
  });

  it('refuses a new experiment declared running on a touchpoint where an exclusive one already runs', async () => {
    const extra = `experiments:
  - key: repayment-frequency-rerun
    name: Rerun
    nudge: repayment-frequency-default
    owner: lending-cx@bank.example
    hypothesis: A rerun of the fortnightly default on the same touchpoint.
    control: control
    variants:
      - { key: control, weight: 0.5 }
      - { key: fortnightly, weight: 0.5 }
    metrics:
      - { key: done, kind: conversion, role: primary, event: repayment_plan_completed }
    status: running
`;
    writeFileSync(path.join(dir, 'rerun.yaml'), extra);
    const before = await stateOf();
    const result = await sync();
    expect(describeSync(result, false)[0]).toMatch(
      /^rerun\.yaml: experiments\[0\]: Experiment "repayment-frequency-rerun" cannot run beside repayment-frequency-default-2026q4 .* \(overlap_conflict\)( \(line \d+\))?$/,
    );
    expect(await stateOf()).toEqual(before);
  });
});

describe('sync messages', () => {
  it('when a reference is misspelt, then the message has its line and the likely key', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-sync-typo-'));
    try {
      cpSync(dir, broken, { recursive: true });
      edit(
        'telecom-onboarding.yaml',
        'nudge: data-usage-social-norm\n',
        'nudge: data-usage-socialnorm\n',
        broken,
      );
      const result = await sync({ in: broken });
      expect(describeSync(result, false)).toContainEqual(
        expect.stringMatching(
          /^telecom-onboarding\.yaml: experiments\[2\]\.nudge: no nudge with key "data-usage-socialnorm"; did you mean "data-usage-social-norm"\? \(line \d+\)$/,
        ),
      );
      expect(result.written).toBe(false);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('when a field name is misspelt, then one message says so with its line and the right name', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-sync-key-'));
    try {
      cpSync(dir, broken, { recursive: true });
      edit('telecom-onboarding.yaml', '    hypothesis: >-\n', '    hypotesis: >-\n', broken);
      const lines = describeSync(await sync({ in: broken }), false).filter((l) => l.includes('hypot'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^telecom-onboarding\.yaml: experiments\[0\]: unknown key "hypotesis"; did you mean "hypothesis"\? \(line \d+\)$/,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  /** The 1-based line of the first line of `file` in `base` that contains `text`. */
  const lineWith = (base: string, file: string, text: string) => {
    const lines = readFileSync(path.join(base, file), 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes(text));
    if (at < 0) throw new Error(`"${text}" not in ${file}`);
    return at + 1;
  };

  it('when a file fails its schema, then its references are checked in the same run, each message with its line', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-sync-round-'));
    try {
      cpSync(samples, broken, { recursive: true });
      const T = 'telecom-onboarding.yaml';
      // One experiment with a misspelt field and a misspelt nudge, another with only a misspelt nudge.
      edit(T, '    hypothesis: >-\n      If autopay', '    hypotesis: >-\n      If autopay', broken);
      edit(T, 'nudge: autopay-default\n', 'nudge: autopay-defualt\n', broken);
      edit(T, 'nudge: data-usage-social-norm\n', 'nudge: data-usage-socialnorm\n', broken);
      // A missing required field is placed on the line of the item it is missing from.
      edit(
        T,
        '    owner: onboarding-squad@telco.example\n    hypothesis: >-\n      If the activation',
        '    hypothesis: >-\n      If the activation',
        broken,
      );
      const before = await stateOf();
      const result = await sync({ in: broken });
      const lines = describeSync(result, false);
      expect(lines).toEqual([
        `${T}: experiments[0]: unknown key "hypotesis"; did you mean "hypothesis"? (line ${lineWith(broken, T, 'hypotesis:')})`,
        `${T}: experiments[1].owner: Invalid input: expected string, received undefined (line ${lineWith(broken, T, '- key: esim-activation-evening')})`,
        `${T}: experiments[0].nudge: no nudge with key "autopay-defualt"; did you mean "autopay-default"? (line ${lineWith(broken, T, 'nudge: autopay-defualt')})`,
        `${T}: experiments[2].nudge: no nudge with key "data-usage-socialnorm"; did you mean "data-usage-social-norm"? (line ${lineWith(broken, T, 'nudge: data-usage-socialnorm')})`,
        'sync refused: 4 problem(s); nothing was written',
      ]);
      expect(result.written).toBe(false);
      expect(await stateOf()).toEqual(before);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('when an optional field is misspelt, then the message names the field it is probably meant to be', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-sync-optional-'));
    try {
      cpSync(samples, broken, { recursive: true });
      edit(BANK, '    industry: banking\n', '    industy: banking\n', broken);
      edit(BANK, 'localHour:', 'localHr:', broken);
      const lines = describeSync(await sync({ in: broken }), false);
      expect(lines).toContainEqual(
        `${BANK}: journeys[0]: unknown key "industy"; did you mean "industry"? (line ${lineWith(broken, BANK, 'industy:')})`,
      );
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${BANK.replace('.', '\\.')}: nudges\\[\\d\\]\\.variants\\[\\d\\]\\.payload: unknown key "localHr"; did you mean "localHour"\\? \\(line ${lineWith(broken, BANK, 'localHr:')}\\)$`,
          ),
        ),
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('when an unquoted value inside { } has a comma, then the message says to quote it, once, with its line', async () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'nudgelab-sync-comma-'));
    try {
      cpSync(samples, broken, { recursive: true });
      const R = 'retail-checkout.yaml';
      edit(
        R,
        'message: Free delivery on orders over EUR 50. }',
        'message: Activate now and get 2,000 bonus points. }',
        broken,
      );
      edit(
        R,
        `message: "You're EUR 6 away from free delivery." }`,
        'message: Act now, or lose 2,000 points, today }',
        broken,
      );
      const lines = describeSync(await sync({ in: broken }), false);
      expect(lines).toEqual([
        `${R}: nudges[0].variants[0].payload.message: this value contains a comma inside { }: quote it, e.g. message: "Activate now and get 2,000 bonus points." (line ${lineWith(broken, R, '2,000 bonus')})`,
        `${R}: nudges[0].variants[1].payload.message: this value contains a comma inside { }: quote it, e.g. message: "Act now, or lose 2,000 points, today" (line ${lineWith(broken, R, 'Act now,')})`,
        'sync refused: 2 problem(s); nothing was written',
      ]);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
