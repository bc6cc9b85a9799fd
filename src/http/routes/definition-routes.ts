import { z } from 'zod';
import type { Stored } from '../../db/definition.repository.js';
import type { DefinitionsService } from '../../domain/definitions.service.js';
import { defineRoute, empty, type Route } from '../route.js';
import { keyParams, versionQuery } from '../route-params.js';

export interface DefinitionRouteOptions<S extends z.ZodType<{ key: string }>, T extends Stored & z.infer<S>> {
  /** Collection path, e.g. `/v1/journeys`. */
  path: string;
  tag: string;
  noun: string;
  /** Where adding an s is wrong (`fatigue policies`). */
  plural?: string;
  service: DefinitionsService<S, T>;
  input: S;
  output: z.ZodType<T>;
  /** Query filters the list accepts (each an indexed field). */
  filters?: z.ZodObject;
  /** What creating or replacing, and deleting, check: in words, for the docs. */
  rules?: { write?: string; delete?: string };
}

const readers = { via: 'key', roles: ['strategist', 'viewer'] } as const;
const writers = { via: 'key', roles: ['strategist'] } as const;

/** List, read, create, replace and delete for one kind of definition; strategists write, viewers read. */
export function definitionRoutes<S extends z.ZodType<{ key: string }>, T extends Stored & z.infer<S>>(
  opts: DefinitionRouteOptions<S, T>,
): Route[] {
  const { path, tag, noun, service, input, output } = opts;
  const one = `${path}/:key`;
  const filters = opts.filters ?? z.strictObject({});
  const write = opts.rules?.write ? ` ${opts.rules.write}` : '';
  const remove = opts.rules?.delete ? ` ${opts.rules.delete}` : '';
  const a = /^[aeiou]/.test(noun) ? 'an' : 'a';
  return [
    defineRoute({
      method: 'get',
      path,
      tag,
      summary: `List ${opts.plural ?? `${noun}s`}`,
      access: readers,
      query: filters,
      responses: { 200: z.object({ items: z.array(output) }) },
    }).handle(async ({ query }) => ({
      status: 200,
      body: { items: await service.list(query as Record<string, string>) },
    })),
    defineRoute({
      method: 'get',
      path: one,
      tag,
      summary: `Get one ${noun}`,
      access: readers,
      params: keyParams,
      responses: { 200: output },
      errors: ['not_found'],
    }).handle(async ({ params }) => ({ status: 200, body: await service.get(params.key) })),
    defineRoute({
      method: 'post',
      path,
      tag,
      summary: `Create ${a} ${noun}`,
      description: `Create ${a} ${noun}.${write}`,
      access: writers,
      body: input,
      responses: { 201: output },
      errors: ['conflict'],
    }).handle(async ({ actor, body }) => ({ status: 201, body: await service.create(actor, body) })),
    defineRoute({
      method: 'put',
      path: one,
      tag,
      summary: `Replace ${a} ${noun}`,
      description: `Replace ${a} ${noun}, optionally only at \`?version=n\` (optimistic concurrency).${write}`,
      access: writers,
      params: keyParams,
      query: versionQuery,
      body: input,
      responses: { 200: output },
      errors: ['not_found', 'version_conflict'],
    }).handle(async ({ actor, params, query, body }) => ({
      status: 200,
      body: await service.update(actor, params.key, body, query.version),
    })),
    defineRoute({
      method: 'delete',
      path: one,
      tag,
      summary: `Delete ${a} ${noun}`,
      description: `Delete ${a} ${noun}.${remove}`,
      access: writers,
      params: keyParams,
      responses: { 204: empty('Deleted') },
      errors: ['not_found', 'in_use'],
    }).handle(async ({ actor, params }) => {
      await service.delete(actor, params.key);
      return { status: 204 };
    }),
  ];
}
