import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/roles.js';
import { syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { signedIn as signedInAs } from '../helpers/dashboard-session.js';
import { experimentBody, nudgeBody, seedDefinitions, touchpointBody } from '../helpers/definitions.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h);
}, 120_000);
afterAll(async () => {
  await h.close();
});

const signedIn = (secret: string) => signedInAs(h.app, secret);

const unescapeHtml = (s: string) =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#96;', '`')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** What a browser would post from the page's definition form: its inputs, text areas and chosen options. */
function formValues(page: string): Record<string, string> {
  const form =
    /<form method="post" action="[^"]*" class="workspace-form"[\s\S]*?<\/form>/.exec(page)?.[0] ?? '';
  expect(form).not.toBe('');
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input name="([^"]+)" type="(?:text|number|hidden)" value="([^"]*)"/g)) {
    out[unescapeHtml(m[1]!)] = unescapeHtml(m[2]!);
  }
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    out[unescapeHtml(m[1]!)] = unescapeHtml(m[2]!);
  }
  for (const m of form.matchAll(/<textarea name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) {
    out[unescapeHtml(m[1]!)] = unescapeHtml(m[2]!);
  }
  for (const m of form.matchAll(/<select name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const chosen = /<option value="([^"]*)"[^>]* selected>/.exec(m[2]!);
    out[unescapeHtml(m[1]!)] = chosen ? unescapeHtml(chosen[1]!) : '';
  }
  return out;
}

const fieldIn = (page: string, name: string) =>
  new RegExp(`name="${name.replace(/[[\].]/g, '\\$&')}" type="[a-z]+" value="([^"]*)"`).exec(page)?.[1];

describe('rows added and removed before the first save', () => {
  it('when "add a stage" is pressed on a new journey, then the form comes back as entered with one more empty row, and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const auditBefore = (await h.services.audit.list({ limit: 1000 })).items.length;
    const res = await agent.post('/dashboard/edit/journey').type('form').send({
      csrf,
      intent: 'add:stages',
      key: 'rows-journey',
      name: 'Credit card',
      'stages[0].key': 'apply',
      'stages[0].name': 'Apply',
      'stages[1].key': 'use',
      'stages[1].name': 'Use',
    });
    expect(res.status).toBe(200);
    expect(fieldIn(res.text, 'key')).toBe('rows-journey');
    expect(fieldIn(res.text, 'stages[1].name')).toBe('Use');
    expect(fieldIn(res.text, 'stages[2].key')).toBe('');
    expect(res.text).not.toContain('data-testid="stage-row-3"');
    expect(res.text).toContain('data-testid="form-notice"');
    expect(await h.services.journeys.repo.getByKey('rows-journey')).toBeNull();
    expect((await h.services.audit.list({ limit: 1000 })).items.length).toBe(auditBefore);

    // The form as it came back is saved as it is: the third stage filled in the new row.
    const values = { ...formValues(res.text), 'stages[2].key': 'renew', 'stages[2].name': 'Renew' };
    const saved = await agent.post('/dashboard/edit/journey').type('form').send(values);
    expect(saved.status).toBe(303);
    const stored = await h.services.journeys.get('rows-journey');
    expect(stored.stages.map((s) => s.key)).toEqual(['apply', 'use', 'renew']);
  });

  it('when a row is removed, then the rows after it move up, nothing is stored, and saving keeps the others', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const page = await agent.get('/dashboard/edit/journey/rows-journey');
    const version = (await h.services.journeys.get('rows-journey')).version;
    const res = await agent
      .post('/dashboard/edit/journey/rows-journey')
      .type('form')
      .send({ ...formValues(page.text), csrf, intent: 'remove:stages[0]' });
    expect(res.status).toBe(200);
    expect(fieldIn(res.text, 'stages[0].key')).toBe('use');
    expect(fieldIn(res.text, 'stages[1].key')).toBe('renew');
    expect((await h.services.journeys.get('rows-journey')).version).toBe(version);

    const saved = await agent
      .post('/dashboard/edit/journey/rows-journey')
      .type('form')
      .send(formValues(res.text));
    expect(saved.status).toBe(303);
    const stored = await h.services.journeys.get('rows-journey');
    expect(stored.stages.map((s) => s.key)).toEqual(['use', 'renew']);
    expect(stored.version).toBe(version + 1);
  });

  it('when metric, targeting and QA rows are added to a new experiment, then each list gets one more row and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const blank = await agent.get('/dashboard/new/experiment');
    const shown = (list: string, page: string) =>
      new Set([...page.matchAll(new RegExp(`name="${list}\\[(\\d+)\\]\\.`, 'g'))].map((m) => m[1])).size;
    let page = blank.text;
    for (const list of ['metrics', 'targetingRules', 'qaOverrides', 'variants']) {
      const before = shown(list, page);
      const res = await agent
        .post('/dashboard/edit/experiment')
        .type('form')
        .send({ ...formValues(page), csrf, key: 'rows-exp', intent: `add:${list}` });
      expect(res.status, list).toBe(200);
      expect(shown(list, res.text), list).toBe(before + 1);
      page = res.text;
    }
    expect(fieldIn(page, 'key')).toBe('rows-exp');
    expect(await h.services.experiments.repo.getByKey('rows-exp')).toBeNull();
  });

  it('when a nudge variant row is added, then the nudge form keeps its type and payload fields', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent.post('/dashboard/edit/nudge').type('form').send({
      csrf,
      intent: 'add:variants',
      type: 'framing',
      key: 'rows-nudge',
      'variants[0].key': 'control',
      'variants[0].payload.frame': 'gain',
      'variants[0].payload.message': 'Earn 2,000 points',
      'variants[1].key': 'loss',
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-testid="variant-row-2"');
    expect(res.text).toContain('name="variants[2].payload.frame"');
    expect(res.text).toContain('Earn 2,000 points');
    expect(await h.services.nudges.repo.getByKey('rows-nudge')).toBeNull();
  });

  it('when an experiment form is saved with every field blank, then the missing fields are named and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent.post('/dashboard/edit/experiment').type('form').send({ csrf, key: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('data-field="key"');
    expect(res.text).toContain('data-field="nudge"');
  });

  it('when the form posts an intent it does not know, then the field says so and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/journey')
      .type('form')
      .send({ csrf, intent: 'add:metrics', key: 'rows-odd', name: 'Odd', 'stages[0].key': 'a1' });
    expect(res.status).toBe(400);
    expect(res.text).toContain(
      '<code>intent</code>: &quot;add:metrics&quot; is not something this form can do',
    );
    expect(await h.services.journeys.repo.getByKey('rows-odd')).toBeNull();
  });
});

describe("an experiment's variants from its nudge", () => {
  it('when "use this nudge\'s variants" is pressed, then the rows are the nudge\'s keys with equal weights and names, and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent.post('/dashboard/edit/experiment').type('form').send({
      csrf,
      intent: 'fill-variants',
      key: 'fill-exp',
      name: 'Filled',
      nudge: nudgeBody.key,
      'variants[0].key': 'old',
      'variants[0].weight': '0.9',
      'variants[1].key': '',
      'variants[2].key': 'older',
    });
    expect(res.status).toBe(200);
    const keys = nudgeBody.variants.map((v) => v.key);
    keys.forEach((key, i) => {
      expect(fieldIn(res.text, `variants[${i}].key`)).toBe(key);
      expect(Number(fieldIn(res.text, `variants[${i}].weight`))).toBe(1 / keys.length);
      expect(res.text).toContain(`data-testid="exp-variant-name-${i}">${nudgeBody.variants[i]!.name}<`);
    });
    expect(fieldIn(res.text, `variants[${keys.length}].key`)).toBeUndefined();
    expect(fieldIn(res.text, 'control')).toBe('control');
    expect(fieldIn(res.text, 'name')).toBe('Filled');
    expect(await h.services.experiments.repo.getByKey('fill-exp')).toBeNull();
  });

  it('when the nudge has three variants, then the weights add up to 1 and the experiment saves as filled', async () => {
    await h.services.nudges.create(systemActor, {
      ...nudgeBody,
      key: 'fill-three',
      variants: [
        ...nudgeBody.variants,
        { key: 'weekly', name: 'Weekly', payload: { option: 'weekly', mode: 'opt-out' } },
      ],
    });
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/experiment')
      .type('form')
      .send({
        csrf,
        intent: 'fill-variants',
        ...Object.fromEntries(
          Object.entries(experimentBody).filter(([, v]) => typeof v === 'string') as [string, string][],
        ),
        key: 'fill-three-test',
        nudge: 'fill-three',
        'metrics[0].key': 'done',
        'metrics[0].kind': 'conversion',
        'metrics[0].role': 'primary',
        'metrics[0].event': 'application_completed',
      });
    expect(res.status).toBe(200);
    const weights = [0, 1, 2].map((i) => Number(fieldIn(res.text, `variants[${i}].weight`)));
    expect(Math.abs(weights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    for (const w of weights) expect(Math.abs(w - 1 / 3)).toBeLessThanOrEqual(1e-4 + 1e-12);
    const saved = await agent.post('/dashboard/edit/experiment').type('form').send(formValues(res.text));
    expect(saved.status).toBe(303);
    const stored = await h.services.experiments.get('fill-three-test');
    expect(stored.variants.map((v) => v.key)).toEqual(['control', 'fortnightly', 'weekly']);
  });

  it('when no nudge is chosen, then the nudge field says to choose one and nothing is stored', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent
      .post('/dashboard/edit/experiment')
      .type('form')
      .send({ csrf, intent: 'fill-variants', key: 'fill-none', nudge: '' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/data-field="nudge">choose the nudge under test first/);
  });

  it("when a new experiment is opened from a nudge, then its variants are the nudge's already", async () => {
    const { agent } = await signedIn(h.keys.strategist);
    const nudgePage = await agent.get(`/dashboard/edit/nudge/${nudgeBody.key}`);
    const link = /data-testid="new-experiment-of-nudge" href="([^"]+)"/.exec(nudgePage.text)?.[1];
    expect(link).toBe(`/dashboard/new/experiment?nudge=${nudgeBody.key}`);
    const res = await agent.get(unescapeHtml(link!));
    expect(res.status).toBe(200);
    expect(fieldIn(res.text, 'variants[0].key')).toBe('control');
    expect(fieldIn(res.text, 'variants[1].key')).toBe('fortnightly');
    expect(fieldIn(res.text, 'variants[1].weight')).toBe('0.5');
    // Each option carries its variants for the page's script.
    expect(res.text).toContain(`data-variants="[{&quot;key&quot;:&quot;control&quot;`);
  });
});

describe('deleting from the workspace', () => {
  it('when a strategist confirms the deletion of a draft experiment, then it is deleted, audited and the workspace says so', async () => {
    await h.services.experiments.create(systemActor, { ...experimentBody, key: 'del-draft' });
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const edit = await agent.get('/dashboard/edit/experiment/del-draft');
    expect(edit.text).toContain('href="/dashboard/delete/experiment/del-draft"');
    const confirm = await agent.get('/dashboard/delete/experiment/del-draft');
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('data-testid="confirm-delete"');
    expect(await h.services.experiments.repo.getByKey('del-draft')).not.toBeNull();

    const res = await agent.post('/dashboard/delete/experiment/del-draft').type('form').send({ csrf });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/dashboard/workspace?deleted=experiment%3Adel-draft');
    expect(await h.services.experiments.repo.getByKey('del-draft')).toBeNull();
    const audit = await h.services.audit.list({ kind: 'experiment', key: 'del-draft', limit: 5 });
    expect(audit.items[0]).toMatchObject({ action: 'delete', source: 'dashboard', actor: 'test-strategist' });
    expect(audit.items[0]?.before).toMatchObject({ key: 'del-draft', status: 'draft' });
    const list = await agent.get(res.headers.location!);
    expect(list.text).toContain('data-testid="deleted-notice"');
    expect(list.text).not.toContain('data-testid="ws-experiment-del-draft"');
  });

  it('when the experiment is running, then the confirmation says to stop it first and a post changes nothing', async () => {
    await h.services.experiments.create(systemActor, { ...experimentBody, key: 'del-live', overlap: true });
    await h.services.experiments.transition(systemActor, 'del-live', 'start');
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const confirm = await agent.get('/dashboard/delete/experiment/del-live');
    expect(confirm.text).toContain('data-testid="delete-refused"');
    expect(confirm.text).toContain('stop it before deleting it');
    expect(confirm.text).not.toContain('data-testid="confirm-delete"');
    const res = await agent.post('/dashboard/delete/experiment/del-live').type('form').send({ csrf });
    expect(res.status).toBe(409);
    expect(res.text).toContain('stop it before deleting it');
    expect((await h.services.experiments.get('del-live')).status).toBe('running');
  });

  it('when a nudge, touchpoint or journey is still used, then the deletion is refused with the reason the API gives', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    for (const [kind, key, reason] of [
      ['nudge', nudgeBody.key, /is used by \d+ experiment\(s\)/],
      ['touchpoint', touchpointBody.key, /still has \d+ nudge\(s\)/],
      ['journey', 'home-loan', /still has \d+ touchpoint\(s\)/],
    ] as const) {
      const res = await agent.post(`/dashboard/delete/${kind}/${key}`).type('form').send({ csrf });
      expect(res.status, kind).toBe(409);
      expect(res.text, kind).toMatch(reason);
    }
    expect(await h.services.nudges.repo.getByKey(nudgeBody.key)).not.toBeNull();
    expect(await h.services.journeys.repo.getByKey('home-loan')).not.toBeNull();
  });

  it('when a journey nothing uses is deleted, then it is gone, as through the API', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const res = await agent.post('/dashboard/delete/journey/rows-journey').type('form').send({ csrf });
    expect(res.status).toBe(303);
    expect(await h.services.journeys.repo.getByKey('rows-journey')).toBeNull();
  });

  it('when the definition is file-managed, then there is no delete link and a post is refused with the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nl-del-'));
    try {
      await writeFile(
        path.join(dir, 'kept.yaml'),
        'journeys:\n  - key: del-file\n    name: From a file\n    stages:\n      - { key: apply, name: Apply }\n',
      );
      expect((await syncDefinitions(h.services, { dir })).issues).toEqual([]);
      const { agent, csrf } = await signedIn(h.keys.strategist);
      const edit = await agent.get('/dashboard/edit/journey/del-file');
      expect(edit.text).not.toContain('data-testid="delete-link"');
      const confirm = await agent.get('/dashboard/delete/journey/del-file');
      expect(confirm.text).toContain(`${path.basename(dir)}/kept.yaml`);
      expect(confirm.text).not.toContain('data-testid="confirm-delete"');
      const res = await agent.post('/dashboard/delete/journey/del-file').type('form').send({ csrf });
      expect(res.status).toBe(403);
      expect(res.text).toContain(`${path.basename(dir)}/kept.yaml`);
      expect(await h.services.journeys.repo.getByKey('del-file')).not.toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the form has no CSRF token or comes from a viewer, then nothing is deleted', async () => {
    await h.services.journeys.create(systemActor, {
      key: 'del-guarded',
      name: 'Guarded',
      stages: [{ key: 'apply', name: 'Apply' }],
    });
    const strategist = await signedIn(h.keys.strategist);
    const forged = await strategist.agent
      .post('/dashboard/delete/journey/del-guarded')
      .type('form')
      .send({ csrf: 'forged' });
    expect(forged.status).toBe(403);
    const viewer = await signedIn(h.keys.viewer);
    const page = await viewer.agent.get('/dashboard/edit/journey/del-guarded');
    expect(page.text).not.toContain('data-testid="delete-link"');
    const res = await viewer.agent
      .post('/dashboard/delete/journey/del-guarded')
      .type('form')
      .send({ csrf: viewer.csrf });
    expect(res.status).toBe(403);
    expect(await h.services.journeys.repo.getByKey('del-guarded')).not.toBeNull();
  });
});
