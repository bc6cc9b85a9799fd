import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Actor } from '../domain/roles.js';
import type { Logger } from '../logger.js';

declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
      actor?: Actor;
    }
  }
}

/** Kept from the caller's X-Request-Id when it is a plain token, so ids can follow a call across systems. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id =
    typeof incoming === 'string' && /^[\w.-]{8,64}$/.test(incoming) ? incoming : `req_${randomUUID()}`;
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Gives every request an id and `req.log`, a child logger that puts it on every line (the error
 * middleware's too), and logs one line per finished request: at debug when it succeeded (apps
 * call the assignment route on every page view), info for a refused request (4xx) and warn for a
 * failure (5xx; the error itself is logged by the error middleware). Request lines name the
 * method, URL and status only: headers carry API keys and session cookies. With debug on, pino-http
 * does it all; above debug, the lean context below writes the same refused and failed lines.
 *
 * pino-http binds the request to its child logger under one key; naming that key `requestId` and
 * serializing the request to its id gives the flat `requestId` field with a single child logger.
 * (Its `quietReqLogger` makes a child of a child, which costs pino about 20 us per request.)
 */
export function requestContext(logger: Logger): RequestHandler {
  const full = fullRequestContext(logger);
  const lean = leanRequestContext(logger);
  // Decided per request, so a level changed at run time takes effect at once.
  return (req, res, next) => (logger.isLevelEnabled('debug') ? full(req, res, next) : lean(req, res, next));
}

function fullRequestContext(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: requestId,
    customAttributeKeys: { req: 'requestId', responseTime: 'ms' },
    wrapSerializers: false,
    serializers: { requestId: (req: IncomingMessage) => req.id },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'warn' : res.statusCode >= 400 ? 'info' : 'debug',
    customSuccessObject: (req, res, fields) => ({ ...summary(req, res), ms: fields.ms }),
    customErrorObject: (req, res, _err, fields) => ({ ...summary(req, res), ms: fields.ms }),
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request failed',
  });
}

/** Where a request keeps its own logger (once made) and the logger to make it from. */
const kLog = Symbol('request logger');
const kBase = Symbol('logger to make the request logger from');
interface LazyLog {
  id: string;
  [kLog]?: Logger;
  [kBase]?: Logger;
}
const withLazyLog = new WeakSet<object>();

/**
 * `req.log` as one getter on the requests' prototype (Express's `app.request`), making the child
 * logger on first use. A getter defined on each request instead (a closure per request) gave every
 * request its own hidden class, and the request then outlived minor GCs (2.6 MB per GC against
 * 1.0 MB without it, in a small app at 838 requests a second). Without a base logger (pino-http's
 * path) it answers undefined, and the setter keeps what pino-http assigns.
 */
function lazyLogOn(proto: object): void {
  if (withLazyLog.has(proto)) return;
  withLazyLog.add(proto);
  Object.defineProperty(proto, 'log', {
    configurable: true,
    enumerable: false,
    get(this: LazyLog): Logger | undefined {
      const own = this[kLog];
      if (own !== undefined) return own;
      const base = this[kBase];
      if (base === undefined) return undefined;
      this[kLog] = base.child({ requestId: this.id });
      return this[kLog];
    },
    set(this: LazyLog, value: Logger) {
      this[kLog] = value;
    },
  });
}

/**
 * Above debug, a successful request writes no line, so making its child logger (what pino-http
 * does for every request, about a tenth of the assignment route's CPU) is wasted: here `req.log`
 * is made on first use, and a finished request writes the same refused (info) or failed (warn)
 * line pino-http would.
 */
function leanRequestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const id = requestId(req, res);
    req.id = id;
    lazyLogOn(Object.getPrototypeOf(req) as object);
    (req as unknown as LazyLog)[kBase] = logger;
    res.once('finish', () => {
      if (res.statusCode < 400) return;
      const level = res.statusCode >= 500 ? 'warn' : 'info';
      // A flood of refused requests (429s) makes no child logger when their lines are off.
      if (!logger.isLevelEnabled(level)) return;
      const line = { ...summary(req, res), ms: Math.round(performance.now() - started) };
      req.log[level](line, level === 'warn' ? 'request failed' : 'request');
    });
    next();
  };
}

function summary(req: IncomingMessage, res: ServerResponse) {
  return {
    req: { method: req.method, url: (req as Request).originalUrl ?? req.url },
    res: { status: res.statusCode },
  };
}
