import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { DomainError } from '../domain/errors.js';
import { checkJsonText, DEFAULT_SHAPE_LIMITS, type ShapeLimits } from '../domain/shape-limits.js';
import { findOperatorKeys } from '../domain/validate.js';

/** `Content-Type: application/json`, with or without parameters; the common spellings skip type-is. */
function isJson(req: Request): boolean {
  const type = req.headers['content-type'];
  if (type === 'application/json' || type?.startsWith('application/json;')) return true;
  return Boolean(req.is('application/json'));
}

/**
 * A JSON parser that refuses bodies nesting deeper or holding more members than the limits, from
 * the raw bytes, before the text is parsed or anything walks the parsed value.
 */
export function boundedJson(limit: string, shape: ShapeLimits = DEFAULT_SHAPE_LIMITS): RequestHandler {
  return express.json({
    limit,
    strict: true,
    verify: (_req, _res, buf) => checkJsonText(buf, shape),
  });
}

/**
 * Bodies of writes must be JSON within the size and shape limits and free of `$`-prefixed keys
 * (outside targeting conditions). One middleware, so each request passes one router layer for it.
 */
export function jsonBody(limit: string): RequestHandler {
  const parse = boundedJson(limit);
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if ((hasBody || chunked) && !isJson(req)) throw new DomainError('unsupported_media_type');
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      const found = findOperatorKeys(req.body, ['targeting']);
      if (found.length > 0) {
        return next(
          new DomainError('validation_failed', 'Keys starting with "$" are not allowed.', { fields: found }),
        );
      }
      next();
    });
  };
}
