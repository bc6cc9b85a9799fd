import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

type Op = {
  summary: string;
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> };
};

describe('/docs', () => {
  it('serves a maintained OpenAPI viewer from this server, and lists every operation without JavaScript', async () => {
    const page = await h.request().get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script src="/docs/assets/swagger-ui-bundle.js"></script>');
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    const noscript = page.text.slice(page.text.indexOf('<noscript>'), page.text.indexOf('</noscript>'));
    expect(noscript).toContain('POST /v1/events');
    expect(noscript).toContain('Create an experiment');
    const bundle = await h.request().get('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toContain('javascript');
    expect(bundle.text.length).toBeGreaterThan(100_000);
    expect((await h.request().get('/docs/assets/init.js')).text).toContain("url: '/openapi.json'");
  });

  it('gives every request body an example that its own schema accepts, and summaries read as English', async () => {
    const doc = (await h.request().get('/openapi.json')).body as {
      paths: Record<string, Record<string, Op>>;
    };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    let bodies = 0;
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${p}`).not.toMatch(/\ba [aeiou]/i);
        const content = op.requestBody?.content['application/json'];
        if (!content) continue;
        bodies++;
        expect(content.example, `${method} ${p}`).toBeDefined();
        const valid = ajv.validate(content.schema as object, content.example);
        expect(valid, `${method} ${p}: ${ajv.errorsText()}`).toBe(true);
      }
    }
    expect(bodies).toBeGreaterThan(5);
  });
});
