import type { NextFunction, Request, Response } from 'express';
import { DomainError, type ErrorCode, errorCatalogue } from '../domain/errors.js';

export function sendError(req: Request, res: Response, code: ErrorCode, message?: string, details?: unknown) {
  const body: { error: Record<string, unknown> } = {
    error: { code, message: message ?? errorCatalogue[code].message, requestId: req.id },
  };
  if (details !== undefined) body.error.details = details;
  res.status(errorCatalogue[code].status).json(body);
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** The one error middleware: domain errors map through the catalogue, anything unknown is a logged 500. */
export function errorMiddleware() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof DomainError) {
      sendError(req, res, err.code, err.message, err.details);
      return;
    }
    const parserError = err as BodyParserError;
    if (parserError?.type === 'entity.too.large') {
      sendError(req, res, 'payload_too_large', `The request body is larger than ${parserError.limit} bytes.`);
      return;
    }
    if (parserError?.type === 'entity.parse.failed') {
      sendError(req, res, 'invalid_json');
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
