import { DomainError } from './errors.js';

/**
 * Bounds on the shape of any parsed input (JSON body, form, YAML file): how deeply it nests and
 * how many members (object keys plus array elements) it holds. Checked before anything walks the
 * value, so no input can exhaust the stack or make a walk slow.
 */
export interface ShapeLimits {
  maxDepth: number;
  maxMembers: number;
}

export const DEFAULT_SHAPE_LIMITS: ShapeLimits = { maxDepth: 32, maxMembers: 20_000 };

/** A batch of 1,000 events with 50 properties each stays within this. */
export const EVENTS_SHAPE_LIMITS: ShapeLimits = { maxDepth: 32, maxMembers: 100_000 };

export function tooDeep(limits: ShapeLimits): DomainError {
  return new DomainError('validation_failed', `The input nests deeper than ${limits.maxDepth} levels.`, {
    fields: [{ path: '(root)', reason: `nests deeper than ${limits.maxDepth} levels` }],
  });
}

export function tooMany(limits: ShapeLimits): DomainError {
  return new DomainError('validation_failed', `The input holds more than ${limits.maxMembers} members.`, {
    fields: [{ path: '(root)', reason: `more than ${limits.maxMembers} keys and array elements` }],
  });
}

/**
 * Scans raw JSON text (before it is parsed) for nesting depth and member count, in one pass
 * without recursion. Brackets inside strings do not count. Malformed text is left to the parser.
 */
export function checkJsonText(text: Uint8Array | string, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let members = 0;
  let inString = false;
  // Every structural character is ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII.
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      members++;
      if (depth > limits.maxDepth) throw tooDeep(limits);
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c) members++;
    if (members > limits.maxMembers) throw tooMany(limits);
  }
}

/** The same bounds over an already parsed value (YAML, forms), walked with an explicit stack. */
export function checkValueShape(value: unknown, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): void {
  const stack: [unknown, number][] = [[value, 0]];
  let members = 0;
  // A node that appears several times (YAML aliases) counts each time, so a cycle ends at the bound.
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limits.maxDepth) throw tooDeep(limits);
    const inner = Array.isArray(v) ? v : Object.values(v);
    members += inner.length;
    if (members > limits.maxMembers) throw tooMany(limits);
    for (const x of inner) stack.push([x, depth + 1]);
  }
}
