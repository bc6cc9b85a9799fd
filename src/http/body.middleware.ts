import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { DomainError } from '../domain/errors.js';
import { findOperatorKeys } from '../domain/validate.js';

/** Bodies of writes must be JSON within the size limit and free of `$`-prefixed keys (outside targeting conditions). */
export function jsonBody(limit: string): RequestHandler[] {
  const parse = express.json({ limit, strict: true });
  return [
    (req: Request, _res: Response, next: NextFunction) => {
      const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
      const chunked = req.headers['transfer-encoding'] !== undefined;
      if ((hasBody || chunked) && !req.is('application/json'))
        throw new DomainError('unsupported_media_type');
      next();
    },
    parse,
    (req: Request, _res: Response, next: NextFunction) => {
      const found = findOperatorKeys(req.body, ['targeting']);
      if (found.length > 0) {
        throw new DomainError('validation_failed', 'Keys starting with "$" are not allowed.', {
          fields: found,
        });
      }
      next();
    },
  ];
}
