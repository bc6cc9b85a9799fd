import { randomUUID } from 'node:crypto';
import type { Express as App, NextFunction, Request, Response } from 'express';
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

/**
 * Gives every request an id (kept from X-Request-Id when sane) and a child logger carrying it.
 * The child logger is made on first use, and the per-request line is only timed when debug logging
 * is on: on the assignment path most requests never log, and both would cost on every one.
 * Failures are logged where they are handled (error middleware).
 */
export function requestContext(app: App, logger: Logger) {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Request): Logger {
      const child = logger.child({ requestId: this.id });
      Object.defineProperty(this, 'log', { value: child, configurable: true, writable: true });
      return child;
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    req.id =
      typeof incoming === 'string' && /^[\w.-]{8,64}$/.test(incoming) ? incoming : `req_${randomUUID()}`;
    res.setHeader('X-Request-Id', req.id);
    if (logger.isLevelEnabled('debug')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        req.log.debug(
          {
            method: req.method,
            url: req.originalUrl,
            status: res.statusCode,
            ms: Math.round(ms * 100) / 100,
          },
          'request',
        );
      });
    }
    next();
  };
}
