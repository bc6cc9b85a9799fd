import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
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

/** Gives every request an id (kept from X-Request-Id when sane) and a child logger carrying it. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && /^[\w.-]{8,64}$/.test(incoming) ? incoming : `req_${randomUUID()}`;
    req.log = logger.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        method: req.method,
        url: req.originalUrl,
        status: res.statusCode,
        ms: Math.round(ms * 100) / 100,
      };
      if (res.statusCode >= 500) req.log.error(line, 'request failed');
      else req.log.debug(line, 'request');
    });
    next();
  };
}
