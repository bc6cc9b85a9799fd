import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { LANE, type Lane } from './fast-lane.js';

export interface HttpServerOptions {
  /** Idle kept-alive connections are closed after this long (ms; Node's own default is 5 s). */
  keepAliveTimeoutMs?: number;
}

/**
 * The HTTP server for an Express app, whose requests and responses are made with the app's own
 * prototypes (`app.request`, `app.response`). Express otherwise re-parents every request and
 * response with `Object.setPrototypeOf`, which V8 handles slowly: in a bare Express 5 endpoint at
 * 838 requests a second about 3.5 MB outlived each minor GC, and each of those GCs paused the
 * event loop about 5 ms; made here with the right prototype, Express's `setPrototypeOf` finds it
 * already in place and changes nothing (2 KB outlived each GC, pauses of 0.5 ms). Used wherever
 * the service listens (`app.listen` would make a stock server). Idle connections are kept
 * `keepAliveTimeoutMs` (default 65 s, past the 60 s idle timeout of common load balancers).
 * Requests the app's lane is for (`fastLane`: the assignment route) are answered by it first.
 */
export function createHttpServer(app: Express, options: HttpServerOptions = {}): Server {
  // Node's IncomingMessage and ServerResponse are plain constructor functions, so they can be
  // applied to the object `new AppRequest` made. (Reflect.construct with AppRequest as the new
  // target made objects that outlived minor GCs again, about 0.9 MB per GC.)
  function AppRequest(this: IncomingMessage, socket: Socket): void {
    Reflect.apply(IncomingMessage, this, [socket]);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, responseOptions?: object): void {
    Reflect.apply(ServerResponse, this, [req, responseOptions]);
  }
  AppResponse.prototype = app.response;
  // The app's lane (fastLane), if it has one, answers the requests it is for before the router.
  const lane = app.locals[LANE] as Lane | undefined;
  const server = createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    lane ? (req, res) => lane(req, res) || app(req, res) : app,
  );
  const keepAlive = options.keepAliveTimeoutMs ?? 65_000;
  server.keepAliveTimeout = keepAlive;
  // A request's headers may take longer than an idle connection is kept, never the reverse.
  server.headersTimeout = Math.max(server.headersTimeout, keepAlive + 1000);
  return server;
}

/**
 * Stops taking connections and resolves once every open one has ended: idle ones at once, and
 * those answering a request once answered (their keep-alive time is cut to the minimum, or a
 * connection answered during the shutdown would stay open `keepAliveTimeoutMs`).
 */
export function closeHttpServer(server: Server): Promise<void> {
  server.keepAliveTimeout = 1;
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
