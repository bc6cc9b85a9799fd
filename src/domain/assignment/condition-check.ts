import safeRegex from 'safe-regex2';
import type { FieldIssue } from '../errors.js';

/** Operators GrowthBook's SDKs evaluate that mean something here (no saved groups exist). */
const VALUE_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$veq',
  '$vne',
  '$vgt',
  '$vgte',
  '$vlt',
  '$vlte',
  '$exists',
  '$in',
  '$nin',
  '$ini',
  '$nini',
  '$all',
  '$alli',
  '$size',
  '$elemMatch',
  '$not',
  '$regex',
  '$regexi',
  '$type',
]);
/** Every operator a saved condition may use, for forms that list them. */
export const conditionOperators: readonly string[] = ['$and', '$or', '$nor', ...VALUE_OPERATORS];
const LIST_OPERATORS = new Set(['$in', '$nin', '$ini', '$nini', '$all', '$alli']);
const TYPES = new Set(['string', 'number', 'boolean', 'array', 'object', 'null', 'undefined']);
export const MAX_REGEX_LENGTH = 200;
const MAX_LIST = 1000;

/**
 * Whether a pattern can take more than linear time on the short attribute values assignments carry.
 * safe-regex2 refuses nested quantifiers (`(a+)+`); quantified groups with alternatives (`(a|a)*`)
 * and back-references, which it lets through, are refused here.
 */
export function unsafeRegexReason(pattern: string): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'back-references are not allowed';
  if (!safeRegex(pattern, { limit: 25 })) return 'nested quantifiers can take exponential time';
  // A group holding `|` and followed by a quantifier: strip escapes and classes, then look.
  const plain = pattern.replace(/\\./g, 'x').replace(/\[[^\]]*\]/g, 'x');
  const stack: number[] = [];
  for (let i = 0; i < plain.length; i++) {
    const c = plain[i];
    if (c === '(') stack.push(i);
    else if (c === ')') {
      const open = stack.pop() ?? 0;
      const next = plain[i + 1];
      if ((next === '*' || next === '+' || next === '{') && plain.slice(open, i).includes('|')) {
        return 'a repeated group with alternatives can take exponential time';
      }
    }
  }
  return null;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a targeting condition when an experiment is saved: every operator is one the SDK knows,
 * every operator gets an argument of the right kind, and every pattern is safe. Issues carry
 * paths under `prefix`.
 */
export function checkCondition(condition: unknown, prefix = 'targeting'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const conditionAt = (cond: unknown, path: string) => {
    if (!isPlainObject(cond)) {
      issues.push({ path, reason: 'must be an object of attribute tests' });
      return;
    }
    for (const [key, value] of Object.entries(cond)) {
      const at = `${path}.${key}`;
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (!Array.isArray(value) || value.length > 100) {
          issues.push({ path: at, reason: 'must be a list of at most 100 conditions' });
        } else {
          value.forEach((c, i) => {
            conditionAt(c, `${at}[${i}]`);
          });
        }
      } else if (key === '$not') conditionAt(value, at);
      else if (key.startsWith('$')) issues.push({ path: at, reason: `unknown operator "${key}"` });
      else valueAt(value, at);
    }
  };
  const valueAt = (value: unknown, path: string) => {
    if (!isPlainObject(value)) return; // a literal: equality
    const keys = Object.keys(value);
    const operators = keys.filter((k) => k.startsWith('$'));
    if (operators.length === 0) return; // an object literal: equality
    if (operators.length !== keys.length) {
      issues.push({ path, reason: 'mixes operators and plain keys' });
      return;
    }
    for (const op of operators) {
      const arg = value[op];
      const at = `${path}.${op}`;
      if (!VALUE_OPERATORS.has(op)) {
        issues.push({ path: at, reason: `unknown operator "${op}"` });
      } else if (LIST_OPERATORS.has(op)) {
        if (!Array.isArray(arg) || arg.length > MAX_LIST) {
          issues.push({ path: at, reason: `must be a list of at most ${MAX_LIST} values` });
        }
      } else if (op === '$regex' || op === '$regexi') {
        const reason = typeof arg === 'string' ? unsafeRegexReason(arg) : 'must be a string';
        if (reason) issues.push({ path: at, reason });
      } else if (op === '$exists') {
        if (typeof arg !== 'boolean') issues.push({ path: at, reason: 'must be true or false' });
      } else if (op === '$type') {
        if (typeof arg !== 'string' || !TYPES.has(arg)) {
          issues.push({ path: at, reason: `must be one of ${[...TYPES].join(', ')}` });
        }
      } else if (op === '$not' || op === '$size') valueAt(arg, at);
      else if (op === '$elemMatch') {
        if (!isPlainObject(arg)) issues.push({ path: at, reason: 'must be an object' });
        else if (Object.keys(arg).every((k) => k.startsWith('$'))) valueAt(arg, at);
        else conditionAt(arg, at);
      }
    }
  };
  conditionAt(condition, prefix);
  return issues;
}
