import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import onFinished from 'on-finished';
import getRawBody from 'raw-body';
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

const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The common request, read without body-parser's general machinery (media-type matching, charset
 * lookup, a decoder per request): `Content-Type: application/json` exactly, a `Content-Length`
 * (no chunks) and no `Content-Encoding`. It reads with raw-body, as body-parser does, and answers
 * as body-parser's strict JSON parser would (a leading BOM dropped, a top level other than an
 * object or array refused); a test sends the same bytes both ways. Any other request goes to
 * body-parser. The length and chunking are `jsonBody`'s own reading of the headers.
 */
function plainJson(req: Request, hasLength: boolean, chunked: boolean): boolean {
  return (
    hasLength &&
    !chunked &&
    req.headers['content-type'] === 'application/json' &&
    req.headers['content-encoding'] === undefined
  );
}

function parsePlain(buf: Buffer, shape: ShapeLimits): unknown {
  checkJsonText(buf, shape);
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  let first = bom;
  while (first < buf.length && BLANK.has(buf[first] as number)) first++;
  if (buf[first] !== 0x7b && buf[first] !== 0x5b) throw new DomainError('invalid_json');
  try {
    return JSON.parse(buf.toString('utf8', bom));
  } catch {
    throw new DomainError('invalid_json');
  }
}

function readPlain(req: Request, limit: string, shape: ShapeLimits, next: (err?: unknown) => void): void {
  getRawBody(req, { length: req.headers['content-length'], limit }, (err, buf) => {
    if (err) {
      // As body-parser: the rest of the body is read off before the refusal is answered.
      req.resume();
      onFinished(req, () => next(err));
      return;
    }
    try {
      req.body = parsePlain(buf, shape);
    } catch (e) {
      return next(e);
    }
    next();
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
    const done = (err?: unknown) => {
      if (err) return next(err);
      const found = findOperatorKeys(req.body, ['targeting']);
      if (found.length > 0) {
        return next(
          new DomainError('validation_failed', 'Keys starting with "$" are not allowed.', { fields: found }),
        );
      }
      next();
    };
    if (plainJson(req, hasBody, chunked)) readPlain(req, limit, DEFAULT_SHAPE_LIMITS, done);
    else parse(req, res, done);
  };
}
