import type { NextFunction, Request, Response } from 'express';
import { DomainError, type ErrorCode, errorCatalogue } from '../domain/errors.js';

export function sendError(req: Request, res: Response, code: ErrorCode, message?: string, details?: unknown) {
  const body: { error: Record<string, unknown> } = {
    error: { code, message: message ?? errorCatalogue[code].message, requestId: req.id },
  };
  if (details !== undefined) body.error.details = details;
  const retryAfter = (details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  res.status(errorCatalogue[code].status).json(body);
}

interface ParserError {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
}

/** Whether the client went away before the request was read: its connection is closed. */
function closedByClient(req: Request | undefined): boolean {
  return req?.socket?.destroyed === true;
}

/**
 * The errors of body-parser, the router and the URL decoder that mean the request is bad, as the
 * domain error each stands for; anything else is left alone (a bug or an outage, not the caller).
 * A body that is no longer readable is the caller's doing when it closed the connection first
 * (during an earlier step such as the key check); otherwise it was read twice, a bug.
 */
export function asClientError(err: unknown, req?: Request): DomainError | undefined {
  if (err instanceof DomainError) return err;
  const e = err as ParserError | undefined;
  if (e?.type === 'stream.not.readable' && closedByClient(req)) {
    return new DomainError('validation_failed', 'The request body could not be read.', {
      fields: [{ path: '(body)', reason: 'the client closed the connection before the body was read' }],
    });
  }
  switch (e?.type) {
    case 'entity.too.large':
      return new DomainError('payload_too_large', `The request body is larger than ${e.limit} bytes.`);
    case 'entity.parse.failed':
      return new DomainError('invalid_json');
    case 'parameters.too.many':
      return new DomainError('payload_too_large', 'The form has more fields than allowed.');
    case 'encoding.unsupported':
      return new DomainError(
        'unsupported_media_type',
        'The request body uses an unsupported Content-Encoding.',
        {
          fields: [{ path: 'Content-Encoding', reason: 'only gzip, deflate, br or identity' }],
        },
      );
    case 'charset.unsupported':
      return new DomainError('unsupported_media_type', 'The request body uses an unsupported charset.', {
        fields: [{ path: 'Content-Type', reason: 'charset must be utf-8' }],
      });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'querystring.parse.rangeError':
      return new DomainError('validation_failed', 'The request body could not be read.', {
        fields: [{ path: '(body)', reason: e.message ?? 'unreadable' }],
      });
  }
  if (err instanceof URIError) {
    return new DomainError('validation_failed', 'The request path is not valid percent-encoding.', {
      fields: [{ path: '(path)', reason: 'malformed percent-encoding' }],
    });
  }
  return undefined;
}

/** The one error middleware: domain errors map through the catalogue, anything unknown is a logged 500. */
export function errorMiddleware() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = asClientError(err, req);
    if (known) {
      sendError(req, res, known.code, known.message, known.details);
      return;
    }
    if (isDatabaseDown(err)) {
      req.log.warn({ err }, 'database unavailable');
      sendError(req, res, 'database_unavailable');
      return;
    }
    req.log.error({ err }, 'unhandled error');
    sendError(req, res, 'internal_error');
  };
}

function isDatabaseDown(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return /MongoServerSelectionError|MongoNetworkError|MongoNotConnectedError|MongoTopologyClosedError/.test(
    name,
  );
}
