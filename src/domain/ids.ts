import { randomBytes } from 'node:crypto';
import { type EntityKind, idPrefixes } from './schemas/common.schema.js';

/** Prefixed, URL-safe, random ids such as `exp_3kq9x0d1w2m4ab7c`. */
export function newId(kind: EntityKind): string {
  return idPrefixes[kind] + randomBytes(12).toString('base64url');
}
