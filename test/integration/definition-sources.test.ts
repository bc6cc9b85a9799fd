import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/roles.js';
import { backfillDefinitionSources } from '../../src/domain/sync/definition-sources.js';
import { describeSync, syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { createLogger } from '../../src/logger.js';
import { signedIn as signedInAs } from '../helpers/dashboard-session.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let dir: string;
let folder: string;
beforeAll(async () => {
  h = await createHarness();
  dir = await mkdtemp(path.join(tmpdir(), 'nl-sources-'));
  folder = path.basename(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await h.close();
});

const journeyYaml = (key: string, name: string) =>
  `  - key: ${key}\n    name: ${name}\n    stages:\n      - { key: apply, name: Apply }\n`;

const signedIn = (secret: string) => signedInAs(h.app, secret);

describe('the file a definition is managed by', () => {
  it('when sync writes a definition, then it carries its file, which an API edit keeps', async () => {
    await writeFile(
      path.join(dir, 'cards.yaml'),
      `journeys:\n${journeyYaml('src-card', 'Card')}${journeyYaml('src-loan', 'Loan')}`,
    );
    const result = await syncDefinitions(h.services, { dir, displayBase: dir });
    expect(result.issues).toEqual([]);
    expect((await h.services.journeys.get('src-card')).source).toBe(`${folder}/cards.yaml`);

    const put = await h
      .request()
      .put('/v1/journeys/src-card')
      .set(auth(h.keys.strategist))
      .send({ key: 'src-card', name: 'Card (renamed)', stages: [{ key: 'apply', name: 'Apply' }] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'Card (renamed)', source: `${folder}/cards.yaml` });
  });

  it('when a definition made through the API is added to a file, then sync makes it file-managed and says so', async () => {
    await h.services.journeys.create(systemActor, {
      key: 'src-api',
      name: 'Made by the API',
      stages: [{ key: 'apply', name: 'Apply' }],
    });
    await writeFile(path.join(dir, 'api.yaml'), `journeys:\n${journeyYaml('src-api', 'Made by the API')}`);
    const dry = await syncDefinitions(h.services, { dir, displayBase: dir, dryRun: true });
    expect(describeSync(dry, true)).toContainEqual(
      expect.stringMatching(/^unchanged\s+journey\s+src-api\s+api\.yaml {2}\(file-managed from now on\)$/),
    );
    expect((await h.services.journeys.get('src-api')).source).toBeUndefined();
    const result = await syncDefinitions(h.services, { dir, displayBase: dir });
    expect(result.issues).toEqual([]);
    const stored = await h.services.journeys.get('src-api');
    expect(stored).toMatchObject({ source: `${folder}/api.yaml`, version: 2 });
    const audit = await h.services.audit.list({ kind: 'journey', key: 'src-api', limit: 5 });
    expect(audit.items[0]).toMatchObject({ action: 'file-managed', actor: 'sync' });
  });

  it('when no file declares a definition any more, then the next sync releases it to the browser', async () => {
    await writeFile(path.join(dir, 'cards.yaml'), `journeys:\n${journeyYaml('src-card', 'Card (renamed)')}`);
    const result = await syncDefinitions(h.services, { dir, displayBase: dir });
    expect(result.issues).toEqual([]);
    expect(result.released).toEqual([{ kind: 'journey', key: 'src-loan', source: `${folder}/cards.yaml` }]);
    expect(describeSync(result, false).at(-1)).toMatch(/, 1 released$/);
    expect((await h.services.journeys.get('src-loan')).source).toBeUndefined();
    expect((await h.services.journeys.get('src-card')).source).toBe(`${folder}/cards.yaml`);

    // The workspace reads the field: the released journey can be edited, the other cannot.
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const list = await agent.get('/dashboard/workspace');
    expect(list.text).toMatch(/data-testid="ws-journey-src-card"[\s\S]*?badge file[\s\S]*?cards\.yaml/);
    expect(list.text).toMatch(/data-testid="ws-journey-src-loan"[\s\S]*?badge browser/);
    const edit = await agent
      .post('/dashboard/edit/journey/src-loan')
      .type('form')
      .send({ csrf, name: 'Loan, now in the browser', 'stages[0].key': 'apply', 'stages[0].name': 'Apply' });
    expect(edit.status).toBe(303);
    expect((await h.services.journeys.get('src-loan')).name).toBe('Loan, now in the browser');
    const refused = await agent
      .post('/dashboard/edit/journey/src-card')
      .type('form')
      .send({ csrf, name: 'Changed', 'stages[0].key': 'apply', 'stages[0].name': 'Apply' });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain(`${folder}/cards.yaml`);
  });

  it('when the file is set without any audit entry by sync, then the workspace still shows it file-managed', async () => {
    await h.services.journeys.create(systemActor, {
      key: 'src-marked',
      name: 'Marked',
      stages: [{ key: 'apply', name: 'Apply' }],
    });
    await h.services.journeys.setSource(systemActor, 'src-marked', 'experiments/elsewhere.yaml');
    const { agent } = await signedIn(h.keys.strategist);
    const page = await agent.get('/dashboard/edit/journey/src-marked');
    expect(page.text).toContain('data-testid="file-managed"');
    expect(page.text).toContain('experiments/elsewhere.yaml');
    expect(page.text).not.toContain('data-testid="save"');
  });
});

describe('marking definitions synced before sources were stored', () => {
  it('when the start-up backfill runs, then what sync wrote gets its file (or the folder), once, and nothing else is marked', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'nl-backfill-'));
    try {
      await writeFile(
        path.join(other, 'old.yaml'),
        `journeys:\n${journeyYaml('bf-kept', 'Kept')}${journeyYaml('bf-gone', 'Gone')}`,
      );
      expect((await syncDefinitions(h.services, { dir: other })).issues).toEqual([]);
      await writeFile(path.join(other, 'old.yaml'), `journeys:\n${journeyYaml('bf-kept', 'Kept')}`);
      await h.services.journeys.create(systemActor, {
        key: 'bf-api',
        name: 'API',
        stages: [{ key: 'apply', name: 'Apply' }],
      });
      // As stored before sync recorded the file: the audit entries by sync are all there is.
      const journeys = h.connection.collection('journeys');
      await journeys.updateMany({ key: { $in: ['bf-kept', 'bf-gone'] } }, { $unset: { source: '' } });
      expect((await h.services.journeys.get('bf-kept')).source).toBeUndefined();

      const base = path.basename(other);
      const marked = await backfillDefinitionSources(h.services, other, createLogger('silent'));
      expect((await h.services.journeys.get('bf-kept')).source).toBe(`${base}/old.yaml`);
      expect((await h.services.journeys.get('bf-gone')).source).toBe(`${base}/`);
      expect((await h.services.journeys.get('bf-api')).source).toBeUndefined();
      // Everything else sync wrote in this database already had its file.
      expect(marked).toBe(2);

      // The next sync names the file of what a file declares and releases the rest.
      const next = await syncDefinitions(h.services, { dir: other });
      expect(next.released.map((r) => r.key)).toEqual(['bf-gone']);
      expect((await h.services.journeys.get('bf-gone')).source).toBeUndefined();

      // Once only: a second start does not scan again.
      await journeys.updateMany({ key: 'bf-kept' }, { $unset: { source: '' } });
      expect(await backfillDefinitionSources(h.services, other, createLogger('silent'))).toBe(0);
      expect((await h.services.journeys.get('bf-kept')).source).toBeUndefined();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
