import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

let h: Harness;
/** The service's own HTTP server, so requests the assignment lane takes are fuzzed through it. */
let server: Server;
let client: () => supertest.Agent;
let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: { Error: unknown } } };
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h);
  server = createHttpServer(h.app).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = () => supertest.agent(url);
  doc = (await client().get('/openapi.json')).body;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1 and uses no draft-04 tuple items', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const arrayItems: string[] = [];
    const walk = (v: unknown, at: string) => {
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${at}[${i}]`);
      } else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'items' && Array.isArray(x)) arrayItems.push(at);
          walk(x, `${at}.${k}`);
        }
      }
    };
    walk(doc, '');
    expect(arrayItems).toEqual([]);
  });

  it('documents 400 on every operation that takes path or query parameters', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if ((op.parameters?.length ?? 0) > 0 && !op.responses['400']) missing.push(`${method} ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

/** Strings an attacker tries in path segments and query values, beside random ones. */
const nasty = fc.constantFrom(
  '__proto__',
  'constructor',
  '%E0%A4%A',
  '%',
  '..%2F..',
  'a'.repeat(300),
  'payment-plan-default-test',
  'home-loan',
  '',
  '0',
  '-1',
  'true',
  '2026-13-45T00:00:00Z',
);
const segment = fc.oneof(
  nasty,
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}$/),
);
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({
    key: segment,
    name: fc.string(),
    events: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  }),
  fc.constant({ customerId: 'c1', touchpoint: 'home-loan.apply.payment-plan', channel: 'web' }),
);

describe('fuzzing every operation of /openapi.json with an admin key', () => {
  it('answers no 5xx, no undocumented status and nothing that does not match its schema', {
    timeout: 240_000,
  }, async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
    addFormats.default(ajv);
    const errorSchema = doc.components.schemas.Error;
    const resolve = (schema: unknown): unknown =>
      (schema as { $ref?: string })?.$ref === '#/components/schemas/Error' ? errorSchema : schema;
    const validators = new Map<unknown, ReturnType<typeof ajv.compile>>();
    const validate = (schema: unknown, value: unknown) => {
      const s = resolve(schema);
      let v = validators.get(s);
      if (!v) {
        v = ajv.compile(s as object);
        validators.set(s, v);
      }
      return v(value) ? null : ajv.errorsText(v.errors);
    };

    const failures: string[] = [];
    let requests = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (method === 'get' && template === '/v1/experiments/{key}/readout.pdf') continue; // needs Chromium
        const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        const request = fc.record({
          path: fc.tuple(...pathParams.map(() => segment)),
          query: fc.dictionary(fc.constantFrom(...queryParams, 'extra'), segment, { maxKeys: 3 }),
          body,
        });
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            let url = template;
            pathParams.forEach((name, i) => {
              url = url.replace(`{${name}}`, encodeURIComponent(String(r.path[i])));
            });
            const call = (client() as unknown as Record<string, (u: string) => import('supertest').Test>)[
              method
            ]!(url)
              .set(auth(h.keys.admin))
              .query(r.query);
            const res = op.requestBody
              ? await call.set('content-type', 'application/json').send(JSON.stringify(r.body ?? null))
              : await call;
            requests++;
            const at = `${method.toUpperCase()} ${url} -> ${res.status}`;
            if (res.status >= 500) failures.push(`${at}: ${res.text.slice(0, 200)}`);
            const documented = op.responses[String(res.status)];
            // A path that matches no route at all is the catch-all's 404, not the operation's.
            const noRoute = res.status === 404 && res.body?.error?.code === 'route_not_found';
            if (!documented && !noRoute) failures.push(`${at}: status not documented`);
            const schema = documented?.content?.['application/json']?.schema;
            if (schema && res.type === 'application/json') {
              const problem = validate(schema, res.body);
              if (problem) failures.push(`${at}: ${problem}`);
            }
            if (res.status >= 400 && res.type === 'application/json' && !res.body?.error?.requestId) {
              failures.push(`${at}: no error shape`);
            }
          }),
          { numRuns: 12, seed: 20261201, interruptAfterTimeLimit: 8_000 },
        );
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(requests).toBeGreaterThan(100);
  });
});
