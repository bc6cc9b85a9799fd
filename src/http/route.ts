import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { ErrorCode } from '../domain/errors.js';
import type { Actor, Role } from '../domain/roles.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route. `roles` never lists admin: admin passes every check. `via` says how the
 * caller proves it: an API key, a dashboard session cookie, either, or the metrics token.
 */
export type Access =
  | { via: 'none' }
  | { via: 'key' | 'session' | 'key-or-session' | 'key-or-token'; roles: readonly Role[] };

/** A response that is not JSON: a page, a file or text. */
export interface MediaResponse {
  kind: 'media';
  type: 'text/html' | 'text/csv' | 'text/plain' | 'text/css' | 'text/javascript' | 'application/pdf';
  description: string;
}
export interface RedirectResponse {
  kind: 'redirect';
  description: string;
}
export interface EmptyResponse {
  kind: 'empty';
  description: string;
}
export type ResponseSpec = z.ZodType | MediaResponse | RedirectResponse | EmptyResponse;
export type Responses = { readonly [status: number]: ResponseSpec };

export const media = (type: MediaResponse['type'], description: string): MediaResponse => ({
  kind: 'media',
  type,
  description,
});
export const redirect = (description: string): RedirectResponse => ({ kind: 'redirect', description });
export const empty = (description: string): EmptyResponse => ({ kind: 'empty', description });

/** JSON already serialised (a cached payload); the brand keeps it tied to the schema it follows. */
export class JsonText<T> {
  declare readonly shape: T;
  constructor(readonly text: string) {}
}

type Headers = Readonly<Record<string, string>>;
type ReplyFor<S extends number, R> = R extends z.ZodType
  ? { status: S; body: z.input<R> | JsonText<z.input<R>>; headers?: Headers }
  : R extends MediaResponse
    ? { status: S; body: string | Buffer; headers?: Headers; type?: string }
    : R extends RedirectResponse
      ? { status: S; location: string }
      : { status: S; headers?: Headers };

/** What a handler returns: one of the declared statuses with a body its schema accepts. */
export type Reply<Rs extends Responses> = {
  [S in keyof Rs & number]: ReplyFor<S, Rs[S]>;
}[keyof Rs & number];

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface HandlerContext<P, Q, B, A extends Access> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  /** The authenticated caller; absent on public routes. */
  actor: A extends { via: 'none' } ? undefined : Actor;
  req: Request;
  res: Response;
}

/** One route: everything the validation, the role check, the OpenAPI document and the tests read. */
export interface RouteDeclaration<
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
  Rs extends Responses,
  A extends Access,
> {
  method: Method;
  /** Express path, e.g. `/v1/journeys/:key`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: A;
  params?: P;
  /** Unknown query keys are refused wherever a query is declared (mounted as a strict object). */
  query?: Q;
  body?: B;
  responses: Rs;
  /** Domain errors the route itself may answer; those of its access, body and parameters are added. */
  errors?: readonly ErrorCode[];
  /** Replaces the JSON parser the mount gives every route with a body. */
  parser?: readonly RequestHandler[];
  /** Runs on the raw request after the body is read and before it is validated. */
  before?: readonly RequestHandler[];
  /** A faster exact check of the body that answers undefined when it cannot decide. */
  quickBody?: (raw: unknown) => Parsed<B> | null | undefined;
  /** Left out of the OpenAPI document (the dashboard's pages, its assets). */
  hidden?: boolean;
}

export type Handler<P, Q, B, Rs extends Responses, A extends Access> = (
  ctx: HandlerContext<P, Q, B, A>,
) => Reply<Rs> | Promise<Reply<Rs>>;

/** A declaration with its types erased, as routes are held in lists. */
export interface Route {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Responses;
  errors?: readonly ErrorCode[];
  parser?: readonly RequestHandler[];
  before?: readonly RequestHandler[];
  quickBody?: (raw: unknown) => unknown;
  hidden?: boolean;
  handler: (ctx: {
    params: unknown;
    query: unknown;
    body: unknown;
    actor: Actor | undefined;
    req: Request;
    res: Response;
  }) => unknown;
}

/**
 * `defineRoute({...}).handle(fn)`: the handler is given once the declaration's types are fixed,
 * so its replies are checked against the declared statuses and schemas (given in the same object,
 * the statuses it returns would be widened to `number` while they are still being inferred).
 */
export function defineRoute<
  A extends Access,
  Rs extends Responses,
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(declaration: RouteDeclaration<P, Q, B, Rs, A>): { handle(handler: Handler<P, Q, B, Rs, A>): Route } {
  return {
    handle: (handler) => ({ ...(declaration as unknown as Omit<Route, 'handler'>), handler }) as Route,
  };
}

export function routeId(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

/** The roles that pass a route's check, admin included; undefined for a public route. */
export function allowedRoles(access: Access): readonly Role[] | undefined {
  return access.via === 'none' ? undefined : ['admin', ...access.roles];
}
