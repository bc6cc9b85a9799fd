import type { NextFunction, Request, Response } from 'express';
import type { ApiKeysService } from '../../domain/api-keys.service.js';
import { DomainError } from '../../domain/errors.js';
import { type Actor, hasRole, type Role } from '../../domain/roles.js';
import { presentedKey } from '../auth.middleware.js';
import { readCookie, SESSION_COOKIE, type Session, type SessionCodec } from './session.js';

/** Roles that may open the dashboard; app keys belong to services, not people. */
export const DASHBOARD_ROLES: readonly Role[] = ['viewer', 'strategist', 'admin'];

const ACTIVE_CACHE_MS = 10_000;

/**
 * Whether the API key behind a session is still active. Cached for 10 s so a page view costs no
 * extra query; a revoked key's sessions stop working within that time.
 */
export class ActiveKeys {
  private cache: { ids: Set<string>; until: number } | undefined;

  constructor(private readonly apiKeys: ApiKeysService) {}

  async isActive(keyId: string): Promise<boolean> {
    const now = Date.now();
    if (!this.cache || this.cache.until <= now || !this.cache.ids.has(keyId)) {
      const keys = await this.apiKeys.list();
      this.cache = {
        ids: new Set(keys.filter((k) => !k.revokedAt).map((k) => k.id)),
        until: now + ACTIVE_CACHE_MS,
      };
    }
    return this.cache.ids.has(keyId);
  }
}

export function sessionActor(session: Session): Actor {
  return { keyId: session.keyId, name: session.name, role: session.role };
}

/** The valid session on this request, or null (expired, forged, revoked key, or a role not allowed). */
export async function currentSession(
  req: Request,
  sessions: SessionCodec,
  active: ActiveKeys,
): Promise<Session | null> {
  const session = sessions.read(readCookie(req, SESSION_COOKIE));
  if (!session || !DASHBOARD_ROLES.includes(session.role)) return null;
  return (await active.isActive(session.keyId)) ? session : null;
}

/**
 * For the export routes under /v1: an API key (viewer or higher) as everywhere else, or, when no key
 * is presented, the dashboard session cookie, so the dashboard's download links work in a browser.
 */
export function keyOrSessionGuard(apiKeys: ApiKeysService, sessions: SessionCodec, active: ActiveKeys) {
  return (roles: readonly Role[]) => async (req: Request, _res: Response, next: NextFunction) => {
    const secret = presentedKey(req);
    let actor: Actor | null = null;
    if (secret) {
      actor = await apiKeys.authenticate(secret);
      if (!actor) throw new DomainError('unauthenticated', 'The API key is unknown or revoked.');
    } else {
      const session = await currentSession(req, sessions, active);
      if (!session)
        throw new DomainError('unauthenticated', 'An API key or a dashboard session is required.');
      actor = sessionActor(session);
    }
    if (!hasRole(actor, roles)) {
      throw new DomainError(
        'forbidden',
        `This action needs one of the roles: ${['admin', ...roles].join(', ')}.`,
      );
    }
    req.actor = actor;
    next();
  };
}
