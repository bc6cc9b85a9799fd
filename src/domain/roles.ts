import { z } from 'zod';

export const roles = ['admin', 'strategist', 'app', 'viewer'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** Who is calling: the API key's id, its name (written to the audit log) and its role. */
export interface Actor {
  keyId: string;
  name: string;
  role: Role;
  /** App keys may be limited to touchpoints and channels. */
  scope?: { touchpoints?: string[]; channels?: string[] };
  /** Where the change came from, written to the audit log (`api` when unset). */
  source?: ChangeSource;
}

export const changeSources = ['api', 'dashboard', 'sync', 'cli', 'system'] as const;
export type ChangeSource = (typeof changeSources)[number];

/** The actor used for changes made by the process itself (sync at start-up, bootstrap key). */
export const systemActor: Actor = { keyId: 'system', name: 'system', role: 'admin', source: 'system' };

/** Admin may do everything; other roles only their own area. */
export function hasRole(actor: Actor, allowed: readonly Role[]): boolean {
  return actor.role === 'admin' || allowed.includes(actor.role);
}
