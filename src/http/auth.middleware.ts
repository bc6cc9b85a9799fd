import type { NextFunction, Request, Response } from 'express';
import type { ApiKeysService } from '../domain/api-keys.service.js';
import { DomainError } from '../domain/errors.js';
import { hasRole, type Role } from '../domain/roles.js';

/** Reads the key from `Authorization: Bearer <key>` or `X-API-Key`. */
export function presentedKey(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  return req.get('x-api-key')?.trim() || undefined;
}

/** 401 for a missing or unknown key, 403 for a known key without one of the roles (admin always passes). */
export function requireRole(apiKeys: ApiKeysService, ...allowed: Role[]) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const secret = presentedKey(req);
    if (!secret) throw new DomainError('unauthenticated');
    const actor = await apiKeys.authenticate(secret);
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
