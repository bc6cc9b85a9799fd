import { z } from 'zod';
import { errorCatalogue } from '../domain/errors.js';
import { exampleOf } from './openapi-example.js';
import { documentedRoutes, type RouteDoc } from './route-docs.js';

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(errorCatalogue) as [string, ...string[]]),
    message: z.string(),
    requestId: z.string(),
    details: z.unknown().optional(),
  }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
}

function parameters(doc: RouteDoc): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', doc.params],
    ['query', doc.query],
  ] as const) {
    if (!schema) continue;
    for (const [name, field] of Object.entries(schema.shape)) {
      out.push({
        name,
        in: where,
        required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
        schema: jsonSchema(field as z.ZodType, 'input'),
      });
    }
  }
  return out;
}

function operation(doc: RouteDoc): Record<string, unknown> {
  const status = String(doc.status ?? 200);
  const success = doc.produces
    ? { description: 'OK', content: { [doc.produces]: {} } }
    : doc.response
      ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(doc.response, 'output') } } }
      : { description: 'OK' };
  const responses: Record<string, unknown> = { [status]: success };
  // What every operation of its kind can answer, whatever the route declares: a malformed path or
  // query is a 400, a body has its parser's failures, a key its 401/403, any caller the rate limit.
  const codes = new Set<string>([
    ...(doc.errors ?? []),
    ...(doc.roles ? ['unauthenticated', 'forbidden'] : []),
    'rate_limited',
    'database_unavailable',
  ]);
  if (doc.params || doc.query) codes.add('validation_failed');
  if (doc.body) {
    for (const code of ['validation_failed', 'invalid_json', 'payload_too_large', 'unsupported_media_type']) {
      codes.add(code);
    }
  }
  for (const code of codes) {
    const entry = errorCatalogue[code as keyof typeof errorCatalogue];
    if (!entry) continue;
    const key = String(entry.status);
    const existing = responses[key] as { description: string } | undefined;
    responses[key] = {
      description: existing ? `${existing.description}, ${code}` : code,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    summary: doc.summary,
    tags: [doc.tag],
    ...(doc.roles ? { security: [{ apiKey: [] }], 'x-roles': ['admin', ...doc.roles] } : {}),
    parameters: parameters(doc),
    ...(doc.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': requestContent(jsonSchema(doc.body, 'input')) },
          },
        }
      : {}),
    responses,
  };
}

/** The body's schema with an example built from it (shown and sent by the /docs viewer). */
function requestContent(schema: unknown): { schema: unknown; example: unknown } {
  return { schema, example: exampleOf(schema) };
}

/** The OpenAPI 3.1 document, generated from the zod schemas each route declares. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of documentedRoutes()) {
    const path = doc.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][doc.method] = operation(doc);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Nudgelab',
      version,
      description:
        'Behavioural-nudge experiments for customer journeys: definitions, assignments, outcomes, readouts.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key; `X-API-Key: <key>` also works.' },
      },
      schemas: { Error: jsonSchema(errorResponseSchema, 'output') },
    },
    paths,
  };
}
