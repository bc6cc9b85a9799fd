import type { NextFunction, Request, Response } from 'express';
import { type ApiKeysService, hashKey } from '../domain/api-keys.service.js';
import { DomainError, type FieldIssue } from '../domain/errors.js';
import { type Actor, hasRole, type Role } from '../domain/roles.js';

/** Reads the key from `Authorization: Bearer <key>` or `X-API-Key`. */
export function presentedKey(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  return req.get('x-api-key')?.trim() || undefined;
}

const kKeyHash = Symbol('hash of the presented key');
type WithKeyHash = Request & { [kKeyHash]?: { secret: string; hash: string } };

/**
 * `hashKey` of the presented key, computed once per request: the rate limit counts by it and the
 * key check looks its cache up by it. Kept on the request, which holds the key itself anyway.
 */
export function presentedKeyHash(req: Request, secret: string): string {
  const held = (req as WithKeyHash)[kKeyHash];
  if (held?.secret === secret) return held.hash;
  const hash = hashKey(secret);
  (req as WithKeyHash)[kKeyHash] = { secret, hash };
  return hash;
}

/** 401 for a missing or unknown key, 403 for a known key without one of the roles (admin always passes). */
export function requireRole(apiKeys: ApiKeysService, ...allowed: Role[]) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const secret = presentedKey(req);
    if (!secret) throw new DomainError('unauthenticated');
    const actor = await apiKeys.authenticate(secret, presentedKeyHash(req, secret));
    if (!actor) throw new DomainError('unauthenticated', 'The API key is unknown or revoked.');
    if (!hasRole(actor, allowed)) {
      throw new DomainError(
        'forbidden',
        `This action needs one of the roles: ${['admin', ...allowed].join(', ')}.`,
      );
    }
    req.actor = actor;
    next();
  };
}

/**
 * A scoped app key may name only its touchpoints and channels. Checked on the raw body, before
 * the route validates it: a value of the wrong type is left for the validation to refuse with 400.
 */
export function assertInScope(
  actor: Actor | undefined,
  items: readonly { touchpoint?: unknown; touchpoints?: unknown; channel?: unknown }[],
): void {
  const scope = actor?.scope;
  if (!scope) return;
  const touchpoints = scope.touchpoints ? new Set(scope.touchpoints) : undefined;
  const channels = scope.channels ? new Set<string>(scope.channels) : undefined;
  const outside: FieldIssue[] = [];
  items.forEach((item, i) => {
    if (!item || typeof item !== 'object') return;
    const at = items.length > 1 ? `[${i}].` : '';
    const named = [item.touchpoint, ...(Array.isArray(item.touchpoints) ? item.touchpoints : [])];
    for (const tp of named) {
      if (typeof tp === 'string' && touchpoints && !touchpoints.has(tp)) {
        outside.push({ path: `${at}touchpoint`, reason: `"${tp}" is outside this key's scope` });
      }
    }
    if (typeof item.channel === 'string' && channels && !channels.has(item.channel)) {
      outside.push({ path: `${at}channel`, reason: `"${item.channel}" is outside this key's scope` });
    }
    if (touchpoints && item.touchpoint === undefined && item.touchpoints === undefined) {
      outside.push({ path: `${at}touchpoint`, reason: 'a scoped key must name one of its touchpoints' });
    }
  });
  if (outside.length > 0) {
    throw new DomainError('forbidden', 'This API key is limited to other touchpoints or channels.', {
      fields: outside.slice(0, 20),
    });
  }
}
