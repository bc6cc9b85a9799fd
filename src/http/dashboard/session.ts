import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Actor, Role } from '../../domain/roles.js';

export const SESSION_COOKIE = 'nl_session';
/** Double-submit cookie that protects the sign-in form itself, before any session exists. */
export const PRE_SESSION_COOKIE = 'nl_signin';

export interface Session {
  keyId: string;
  name: string;
  role: Role;
  /** Random per session; the CSRF token is derived from it. */
  sid: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface SessionOptions {
  /** HMAC key; when unset a random one is made at start, so sessions end when the process restarts. */
  secret?: string;
  ttlMinutes: number;
}

/**
 * Sessions are stateless tokens `base64url(json).base64url(hmac-sha256)`: nothing to store or clean
 * up, and any instance sharing SESSION_SECRET accepts them. The session names the API key it was
 * opened with; the dashboard checks on each request that the key is still active, so revoking a
 * key ends its sessions too.
 */
export class SessionCodec {
  private readonly secret: Buffer;
  /** Sessions ended by sign-out before they expire: sid -> expiry, pruned as they expire. */
  private readonly ended = new Map<string, number>();
  readonly ttlMs: number;
  readonly randomSecret: boolean;

  constructor(opts: SessionOptions) {
    this.randomSecret = !opts.secret;
    this.secret = opts.secret ? Buffer.from(opts.secret) : randomBytes(32);
    this.ttlMs = opts.ttlMinutes * 60_000;
  }

  private mac(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }

  open(actor: Actor, now = Date.now(), ttlMs = this.ttlMs): { token: string; session: Session } {
    const session: Session = {
      keyId: actor.keyId,
      name: actor.name,
      role: actor.role,
      sid: randomBytes(16).toString('base64url'),
      expiresAt: now + ttlMs,
    };
    const body = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { token: `${body}.${this.mac(`session.${body}`)}`, session };
  }

  /** The session in a token, or null when the token is forged, malformed or expired. */
  read(token: string | undefined, now = Date.now()): Session | null {
    if (!token) return null;
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) return null;
    if (!safeEqual(sig, this.mac(`session.${body}`))) return null;
    try {
      const s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Session;
      if (typeof s.expiresAt !== 'number' || s.expiresAt <= now) return null;
      if (typeof s.keyId !== 'string' || typeof s.sid !== 'string') return null;
      if (this.ended.has(s.sid)) return null;
      return s;
    } catch {
      return null;
    }
  }

  /** Ends a session before it expires (sign-out); its token is refused from now on by this process. */
  end(session: Session, now = Date.now()): void {
    for (const [sid, until] of this.ended) if (until <= now) this.ended.delete(sid);
    this.ended.set(session.sid, session.expiresAt);
  }

  csrfToken(session: Session): string {
    return this.mac(`csrf.${session.sid}`);
  }

  checkCsrf(session: Session, presented: unknown): boolean {
    return typeof presented === 'string' && safeEqual(presented, this.csrfToken(session));
  }
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, scoped to the whole site (the PDF route lives under /v1), Secure over https. */
export function setCookie(req: Request, res: Response, name: string, value: string, maxAgeMs: number): void {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: '/',
    maxAge: maxAgeMs,
  });
}

export function clearCookie(req: Request, res: Response, name: string): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}
