import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedIn as signedInAs } from '../helpers/dashboard-session.js';
import { experimentBody, nudgeBody, seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
const templatePrior = {
  from: 'template',
  template: 'enrol-by-default',
  relativeLift: 0.0479,
  sd: 0.08,
  publishedRelativeLift: 0.2,
};

beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
  const res = await h
    .request()
    .post('/v1/experiments')
    .set(auth(h.keys.strategist))
    .send({ ...experimentBody, key: 'ws-prior', prior: templatePrior });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}, 120_000);
afterAll(async () => {
  await h.close();
});

const signedIn = (secret: string) => signedInAs(h.app, secret);

/** The experiment's own fields as its form posts them, plus whatever prior fields are given. */
function form(csrf: string, version: string, prior: Record<string, string>): Record<string, string> {
  return {
    csrf,
    version,
    key: 'ws-prior',
    name: experimentBody.name,
    nudge: nudgeBody.key,
    owner: experimentBody.owner,
    hypothesis: experimentBody.hypothesis,
    control: 'control',
    'variants[0].key': 'control',
    'variants[0].weight': '0.5',
    'variants[1].key': 'fortnightly',
    'variants[1].weight': '0.5',
    coverage: '0.5',
    'metrics[0].key': 'completed',
    'metrics[0].kind': 'conversion',
    'metrics[0].role': 'primary',
    'metrics[0].event': 'application_completed',
    ...prior,
  };
}

async function stored() {
  return (await h.request().get('/v1/experiments/ws-prior').set(auth(h.keys.viewer))).body as {
    prior?: unknown;
    version: number;
  };
}

describe('the prior in the experiment form', () => {
  it('when an experiment with a template prior is opened and saved, then the prior is kept; another choice replaces it and a blank one removes it', async () => {
    const { agent, csrf } = await signedIn(h.keys.strategist);
    const page = await agent.get('/dashboard/edit/experiment/ws-prior');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<option value="template" selected>template</option>');
    expect(page.text).toContain('data-testid="prior-template">enrol-by-default<');
    // What the page carries, as it would post it.
    const hidden = Object.fromEntries(
      [...page.text.matchAll(/<input type="hidden" name="(prior\.[a-zA-Z]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );
    expect(hidden).toEqual({
      'prior.template': 'enrol-by-default',
      'prior.relativeLift': '0.0479',
      'prior.sd': '0.08',
      'prior.publishedRelativeLift': '0.2',
    });
    const save = async (prior: Record<string, string>) =>
      agent
        .post('/dashboard/edit/experiment/ws-prior')
        .type('form')
        .send(form(csrf, String((await stored()).version), prior));

    expect((await save({ 'prior.from': 'template', ...hidden })).status).toBe(303);
    expect((await stored()).prior).toEqual(templatePrior);

    const tampered = await save({ 'prior.from': 'template', ...hidden, 'prior.sd': '-1' });
    expect(tampered.status).toBe(400);
    expect(tampered.text).toContain('data-field="prior.sd"');
    expect((await stored()).prior).toEqual(templatePrior);

    expect((await save({ 'prior.from': 'past-nudges', ...hidden })).status).toBe(303);
    expect((await stored()).prior).toEqual({ from: 'past-nudges' });
    const reopened = await agent.get('/dashboard/edit/experiment/ws-prior');
    expect(reopened.text).toContain('<option value="past-nudges" selected>past-nudges</option>');
    expect(reopened.text).not.toContain('<option value="template"');

    expect((await save({ 'prior.from': '' })).status).toBe(303);
    expect((await stored()).prior).toBeUndefined();
  });
});
