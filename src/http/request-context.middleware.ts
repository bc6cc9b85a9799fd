import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
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
 * middleware's too), and logs one line per finished request through pino-http: at debug when it
 * succeeded (apps call the assignment route on every page view), info for a refused request (4xx)
 * and warn for a failure (5xx; the error itself is logged by the error middleware). Request lines
 * name the method, URL and status only: headers carry API keys and session cookies.
 */
export function requestContext(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestId,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'ms' },
    wrapSerializers: false,
    serializers: {
      req: (req: Request) => ({ method: req.method, url: req.originalUrl ?? req.url }),
      res: (res: ServerResponse) => ({ status: res.statusCode }),
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'warn' : res.statusCode >= 400 ? 'info' : 'debug',
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request failed',
  });
}
