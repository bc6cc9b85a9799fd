import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { DomainError, type ErrorCode } from '../domain/errors.js';
import type { Role } from '../domain/roles.js';
import { issuesOf } from '../domain/validate.js';
import { type Access, JsonText, type ResponseSpec, type Route, routeId } from './route.js';

/** How each kind of access is checked; a route whose kind has no guard cannot be mounted. */
export type Guards = Partial<
  Record<Exclude<Access['via'], 'none'>, (roles: readonly Role[]) => RequestHandler>
>;

export interface MountOptions {
  guards: Guards;
  /** The JSON parser of routes that declare a body and no parser of their own. */
  json: RequestHandler;
  /** The error a malformed path parameter is (the dashboard answers a bad key as a missing page). */
  invalidParams?: ErrorCode;
}

function parse(schema: z.ZodType, value: unknown, code: ErrorCode, prefix: string): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = issuesOf(result.error, prefix);
  if (code === 'validation_failed') throw new DomainError(code, undefined, { fields });
  throw new DomainError(code);
}

function isZod(spec: ResponseSpec): spec is z.ZodType {
  return !('kind' in spec) || typeof (spec as { kind?: unknown }).kind !== 'string';
}

interface AnyReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  type?: string;
  location?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function send(route: Route, res: Response, reply: AnyReply): void {
  const spec = route.responses[reply.status];
  if (!spec) throw new Error(`${routeId(route)} answered ${reply.status}, which it does not declare`);
  if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.status(reply.status);
  if (isZod(spec)) {
    // What res.json sends (no JSON settings, no ETag here), written without its media-type lookups.
    const text =
      reply.body instanceof JsonText
        ? reply.body.text
        : ((JSON.stringify(reply.body) as string | undefined) ?? '');
    res.setHeader('Content-Type', JSON_TYPE);
    // Set here, so a HEAD request gets it too, as from res.send.
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end(text);
    return;
  }
  switch (spec.kind) {
    case 'media':
      res.type(reply.type ?? spec.type).send(reply.body);
      return;
    case 'redirect':
      res.redirect(reply.status, reply.location ?? '/');
      return;
    case 'empty':
      res.end();
  }
}

/**
 * One declaration as the chain of handlers it runs: access check, body parser, the route's own
 * raw-request checks, then params, query and body validated against the declared schemas, and the
 * handler, whose reply is sent as its declared status says.
 */
export function routeChain(route: Route, opts: MountOptions): RequestHandler[] {
  const chain: RequestHandler[] = [];
  if (route.access.via !== 'none') {
    const guard = opts.guards[route.access.via];
    if (!guard) throw new Error(`${routeId(route)}: no guard for access via ${route.access.via}`);
    chain.push(guard(route.access.roles));
  }
  if (route.body) chain.push(...(route.parser ?? [opts.json]));
  chain.push(...(route.before ?? []));
  // One strictness for every query: a key the route does not know is refused, not ignored.
  const query = route.query ? z.strictObject(route.query.shape) : undefined;
  const paramsCode = opts.invalidParams ?? 'validation_failed';
  chain.push(async (req: Request, res: Response, _next: NextFunction) => {
    const params = route.params ? parse(route.params, req.params, paramsCode, '') : undefined;
    const q = query ? parse(query, req.query, 'validation_failed', '') : undefined;
    let body: unknown;
    if (route.body)
      body = route.quickBody?.(req.body) ?? parse(route.body, req.body, 'validation_failed', '');
    const reply = await route.handler({ params, query: q, body, actor: req.actor, req, res });
    send(route, res, reply as AnyReply);
  });
  return chain;
}

/** Mounts each declaration on the router as its chain (`routeChain`). */
export function mountRoutes(router: Router, routes: readonly Route[], opts: MountOptions): void {
  for (const route of routes) router[route.method](route.path, ...routeChain(route, opts));
}
