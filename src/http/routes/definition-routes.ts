import { type Request, Router } from 'express';
import { z } from 'zod';
import type { Stored } from '../../db/definition.repository.js';
import type { ApiKeysService } from '../../domain/api-keys.service.js';
import type { DefinitionsService } from '../../domain/definitions.service.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

const keyParams = z.object({ key: keySchema });
const versionQuery = z.object({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('expected current version (optimistic concurrency)'),
});

export interface DefinitionRouteOptions<S extends z.ZodType<{ key: string }>, T extends Stored & z.infer<S>> {
  /** Collection path, e.g. `/v1/journeys`. */
  path: string;
  tag: string;
  noun: string;
  service: DefinitionsService<S, T>;
  input: z.ZodType;
  output: z.ZodType;
  /** Query filters the list accepts (each an indexed field). */
  filters?: z.ZodObject;
}

/** List, read, create, replace and delete for one kind of definition; strategists write, viewers read. */
/** "an experiment", "a nudge": the summaries are read by people. */
export function article(noun: string): 'a' | 'an' {
  return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}

export function definitionRoutes<S extends z.ZodType<{ key: string }>, T extends Stored & z.infer<S>>(
  apiKeys: ApiKeysService,
  opts: DefinitionRouteOptions<S, T>,
): Router {
  const router = Router();
  const read = requireRole(apiKeys, 'strategist', 'viewer');
  const write = requireRole(apiKeys, 'strategist');
  const one = `${opts.path}/:key`;
  const filters = opts.filters ?? z.object({});
  const tag = opts.tag;

  documentRoute({
    method: 'get',
    path: opts.path,
    tag,
    summary: `List ${opts.noun}s`,
    roles: ['strategist', 'viewer'],
    query: filters,
    response: z.object({ items: z.array(opts.output) }),
  });
  router.get(opts.path, read, async (req, res) => {
    const filter = parseOrThrow(filters, req.query) as Record<string, string>;
    res.json({ items: await opts.service.list(filter) });
  });

  documentRoute({
    method: 'get',
    path: one,
    tag,
    summary: `Get one ${opts.noun}`,
    roles: ['strategist', 'viewer'],
    params: keyParams,
    response: opts.output,
    errors: ['not_found'],
  });
  router.get(one, read, async (req, res) => {
    res.json(await opts.service.get(keyOf(req)));
  });

  documentRoute({
    method: 'post',
    path: opts.path,
    tag,
    summary: `Create ${article(opts.noun)} ${opts.noun}`,
    roles: ['strategist'],
    body: opts.input,
    response: opts.output,
    status: 201,
    errors: ['validation_failed', 'conflict'],
  });
  router.post(opts.path, write, async (req, res) => {
    res.status(201).json(await opts.service.create(req.actor!, req.body));
  });

  documentRoute({
    method: 'put',
    path: one,
    tag,
    summary: `Replace ${article(opts.noun)} ${opts.noun}`,
    roles: ['strategist'],
    params: keyParams,
    query: versionQuery,
    body: opts.input,
    response: opts.output,
    errors: ['validation_failed', 'not_found', 'version_conflict'],
  });
  router.put(one, write, async (req, res) => {
    const { version } = parseOrThrow(versionQuery, req.query);
    res.json(await opts.service.update(req.actor!, keyOf(req), req.body, version));
  });

  documentRoute({
    method: 'delete',
    path: one,
    tag,
    summary: `Delete ${article(opts.noun)} ${opts.noun}`,
    roles: ['strategist'],
    params: keyParams,
    status: 204,
    errors: ['not_found', 'in_use'],
  });
  router.delete(one, write, async (req, res) => {
    await opts.service.delete(req.actor!, keyOf(req));
    res.status(204).end();
  });

  return router;
}

export function keyOf(req: Request): string {
  return parseOrThrow(keyParams, req.params).key;
}
