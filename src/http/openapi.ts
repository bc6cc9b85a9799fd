import { z } from 'zod';
import { type ErrorCode, errorCatalogue } from '../domain/errors.js';
import { exampleOf } from './openapi-example.js';
import { allowedRoles, type ResponseSpec, type Route } from './route.js';

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

/** The catalogue codes a route can answer: its own, and those of its access, input and any caller. */
export function errorCodesOf(route: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors ?? []);
  if (route.access.via !== 'none') {
    codes.add('unauthenticated');
    codes.add('forbidden');
  }
  if (route.params || route.query) codes.add('validation_failed');
  if (route.body) {
    for (const code of [
      'validation_failed',
      'invalid_json',
      'payload_too_large',
      'unsupported_media_type',
    ] as const) {
      codes.add(code);
    }
  }
  codes.add('rate_limited');
  codes.add('database_unavailable');
  return [...codes];
}

function parameters(route: Route): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
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

function response(spec: ResponseSpec): Record<string, unknown> {
  if (!('kind' in spec) || typeof spec.kind !== 'string') {
    return {
      description: (spec as z.ZodType).description ?? 'OK',
      content: { 'application/json': { schema: jsonSchema(spec as z.ZodType, 'output') } },
    };
  }
  const s = spec as Exclude<ResponseSpec, z.ZodType>;
  if (s.kind === 'media') return { description: s.description, content: { [s.type]: {} } };
  return { description: s.description };
}

function operation(route: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) responses[status] = response(spec);
  for (const code of errorCodesOf(route)) {
    const key = String(errorCatalogue[code].status);
    const existing = responses[key] as { description: string; content?: unknown } | undefined;
    // A declared page for the status (the dashboard's) is kept; the code joins its description.
    responses[key] = existing
      ? { ...existing, description: `${existing.description}, ${code}` }
      : {
          description: code,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
  }
  const roles = allowedRoles(route.access);
  return {
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(roles ? { security: [{ apiKey: [] }], 'x-roles': roles } : {}),
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.safeParse(undefined).success,
            content: { 'application/json': requestContent(jsonSchema(route.body, 'input')) },
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

/** The OpenAPI 3.1 document of an app, generated from the routes it mounted. */
export function openApiDocument(version: string, routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.hidden) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
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
