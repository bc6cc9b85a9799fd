import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, type Options, rateLimit } from 'express-rate-limit';
import { DomainError } from '../domain/errors.js';
import { presentedKey, presentedKeyHash } from './auth.middleware.js';

/** Requests allowed per window; 0 turns a limit off. Counters live in this process's memory. */
export interface RateLimits {
  windowMs: number;
  /** Any request, counted per presented API key (per client address when none is presented). */
  perKey: number;
  /** Requests answered 401 (unknown or revoked key), counted per client address. */
  failedAuth: number;
  /** Dashboard sign-in attempts that fail, counted per client address. */
  signIn: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  windowMs: 60_000,
  perKey: 60_000,
  failedAuth: 30,
  signIn: 10,
};

function clientAddress(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** A refused request in the service's error shape, with Retry-After in seconds. */
function refuse(req: Request, res: Response, next: NextFunction, what: string): void {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
  res.setHeader('Retry-After', String(seconds));
  next(
    new DomainError('rate_limited', `Too many ${what}; retry in ${seconds} s.`, {
      retryAfterSeconds: seconds,
    }),
  );
}

const noop: RequestHandler = (_req, _res, next) => next();

/**
 * Counts only the requests that ended in failure, after they end, and refuses an address once it
 * has failed `limit` times in the window. Counting after the answer (rather than counting first and
 * taking back successes) keeps a burst of good requests in flight from being refused. A count lives
 * at most one window after its last failure, so once no request has failed for two windows no
 * address can be over the limit, and requests are let through without looking their address up.
 */
function failureLimit(
  windowMs: number,
  limit: number,
  name: string,
  failed: (req: Request, res: Response) => boolean,
  what: string,
): RequestHandler {
  if (limit <= 0) return noop;
  const store = new MemoryStore();
  store.init({ windowMs } as Options);
  let lastFailure = Number.NEGATIVE_INFINITY;
  const pass = (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      if (!failed(req, res)) return;
      lastFailure = Date.now();
      void store.increment(`${name}:${clientAddress(req)}`);
    });
    next();
  };
  return (req, res, next) => {
    if (Date.now() - lastFailure > 2 * windowMs) return pass(req, res, next);
    store.get(`${name}:${clientAddress(req)}`).then((info) => {
      if (info && info.totalHits >= limit) {
        (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit = { resetTime: info.resetTime };
        refuse(req, res, next, what);
        return;
      }
      pass(req, res, next);
    }, next);
  };
}

/**
 * A per-address limit on failed keys (an address that presented too many unknown or revoked keys
 * is refused until the window ends, whatever it presents), then a per-key limit on every request.
 * The key is hashed, so no secret stays in memory as a counter name.
 */
export function apiRateLimits(limits: RateLimits): RequestHandler[] {
  const handlers: RequestHandler[] = [
    failureLimit(
      limits.windowMs,
      limits.failedAuth,
      'fail',
      (_req, res) => res.statusCode === 401,
      'requests with unknown API keys',
    ),
  ];
  if (limits.perKey > 0) {
    handlers.push(
      rateLimit({
        windowMs: limits.windowMs,
        limit: limits.perKey,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        // The check that no request is counted twice keeps a WeakMap entry per request (work for
        // every minor GC); each route runs this limiter once, which the hardening and lane tests
        // check by the count at which a key is refused.
        validate: { singleCount: false },
        // The key's hash is the one the key check then reuses (computed once per request).
        keyGenerator: (req) => {
          const key = presentedKey(req);
          return key ? `key:${presentedKeyHash(req, key)}` : `addr:${clientAddress(req)}`;
        },
        handler: (req, res, next) => refuse(req, res, next, 'requests for this API key'),
      }),
    );
  }
  return handlers;
}

/** Failed dashboard sign-ins per client address; a successful sign-in (a redirect) does not count. */
export function signInRateLimit(limits: RateLimits): RequestHandler {
  return failureLimit(
    limits.windowMs,
    limits.signIn,
    'signin',
    (req, res) => req.method === 'POST' && res.statusCode !== 303,
    'sign-in attempts',
  );
}
