import type { z } from 'zod';
import type { Role } from '../domain/roles.js';

/** What the OpenAPI document says about one route; written beside the handler from its zod schemas. */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. `/v1/journeys/:key`. */
  path: string;
  summary: string;
  tag: string;
  roles?: readonly Role[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response?: z.ZodType;
  /** Status of the success response (200 unless said). */
  status?: number;
  /** Media type of the success response when it is not JSON. */
  produces?: string;
  errors?: readonly string[];
}

const docs = new Map<string, RouteDoc>();

/** Registers a route's documentation beside its handler; registering the same route again replaces it. */
export function documentRoute(doc: RouteDoc): RouteDoc {
  docs.set(`${doc.method} ${doc.path}`, doc);
  return doc;
}

export function documentedRoutes(): RouteDoc[] {
  return [...docs.values()];
}
