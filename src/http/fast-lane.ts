import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainError } from '../domain/errors.js';

/** Answers a request and says true, or says false and leaves it untouched for the app. */
export type Lane = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Where `createApp` leaves its lane for the HTTP server (`app.locals`). */
export const LANE = 'lane';

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * One route's handlers run in order for requests of exactly its method and path (no query, no
 * trailing slash, same case), without Express's router: the route every page view calls
 * (`POST /v1/assignments`) then skips matching the app's layers one by one. The handlers are the
 * ones the router runs for it, app-wide ones first (request id, metrics, rate limits), so the
 * answer is the same either way (a test sends each kind of request both ways and compares). Like
 * Express 5's router, a handler that throws or whose promise rejects passes its error on; the error
 * goes to `onError`, and an error the error handler itself raises (the answer already begun) ends
 * the connection, as Express's final handler does. Requests are made with the app's prototypes
 * (`createHttpServer`), so Express's request and response methods work on them.
 */
export function fastLane(
  route: { method: string; path: string },
  handlers: readonly RequestHandler[],
  onError: ErrorRequestHandler,
): Lane {
  const method = route.method.toUpperCase();
  const matched = { path: route.path };
  return (rawReq, rawRes) => {
    if (rawReq.method !== method || rawReq.url !== route.path) return false;
    const req = rawReq as Request;
    const res = rawRes as Response;
    // What Express's app and router give every request before its route's handlers run.
    req.res = res;
    res.locals = Object.create(null) as Response['locals'];
    req.originalUrl = route.path;
    req.baseUrl = '';
    req.params = {};
    req.route = matched;
    let at = 0;
    const fail = (err: unknown) => {
      try {
        onError(err, req, res, () => rawReq.socket.destroy());
      } catch {
        rawReq.socket.destroy();
      }
    };
    const next: NextFunction = (err?: unknown) => {
      if (err !== undefined && err !== 'route' && err !== 'router') return fail(err);
      const handler = handlers[at++];
      // Past the route's last handler the router would look further and find nothing.
      if (handler === undefined || err !== undefined) return fail(new DomainError('route_not_found'));
      try {
        const done: unknown = handler(req, res, next);
        if (isPromise(done)) done.then(undefined, (e: unknown) => next(e ?? new Error('Rejected promise')));
      } catch (e) {
        next(e);
      }
    };
    next();
    return true;
  };
}
