import { DomainError } from '../../domain/errors.js';
import {
  addRowButton,
  type FormView,
  fieldErrors,
  removeRowButton,
  rowCount,
  selectField,
  textField,
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';

/**
 * Targeting built from attributes: one row per rule (attribute, operator, value), all of which
 * must hold. The rows become a GrowthBook condition (`{"plan": {"$in": ["gold", "silver"]}}`);
 * anything the rows cannot say (`$or`, nested conditions) stays in the JSON field beside them,
 * and both are combined.
 */
export const ruleOperators = [
  '$eq',
  '$ne',
  '$in',
  '$nin',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$exists',
  '$regex',
] as const;
type RuleOperator = (typeof ruleOperators)[number];

export interface TargetingRule {
  attribute?: string;
  operator?: string;
  value?: string;
}

const isRuleOperator = (op: string): op is RuleOperator => (ruleOperators as readonly string[]).includes(op);

function scalar(text: string): string | number | boolean {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}

function invalid(path: string, reason: string): DomainError {
  return new DomainError('validation_failed', 'The form has a field that is not valid.', {
    fields: [{ path, reason }],
  });
}

/** The condition the rows say, or undefined for no rows; a half-filled row is a field error. */
export function conditionFromRules(rules: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(rules)) return undefined;
  const condition: Record<string, Record<string, unknown>> = {};
  rules.forEach((raw, i) => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    const at = `targetingRules[${i}]`;
    const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');
    const attribute = str(rule.attribute).trim();
    const operator = str(rule.operator).trim() || '$eq';
    const value = str(rule.value);
    if (attribute === '' && value.trim() === '') return;
    if (attribute === '') throw invalid(`${at}.attribute`, 'name the attribute this rule reads');
    if (!/^[A-Za-z_][\w.-]{0,63}$/.test(attribute)) {
      throw invalid(`${at}.attribute`, 'letters, digits, _ . - only, starting with a letter');
    }
    if (!isRuleOperator(operator))
      throw invalid(`${at}.operator`, `must be one of ${ruleOperators.join(' ')}`);
    if (operator !== '$exists' && value.trim() === '')
      throw invalid(`${at}.value`, 'give the value to compare with');
    let v: unknown;
    if (operator === '$in' || operator === '$nin')
      v = value
        .split(',')
        .map((s) => scalar(s))
        .filter((s) => s !== '');
    else if (operator === '$exists') v = value.trim() !== 'false';
    else if (operator === '$regex') v = value.trim();
    else v = scalar(value);
    const existing = condition[attribute] ?? {};
    if (operator in existing) throw invalid(`${at}.operator`, `${attribute} already has a ${operator} rule`);
    condition[attribute] = { ...existing, [operator]: v };
  });
  return Object.keys(condition).length > 0 ? condition : undefined;
}

/** Rows combined with the JSON field: both must hold (`$and` when they name the same attribute). */
export function combineTargeting(fromRules: Record<string, unknown> | undefined, fromJson: unknown): unknown {
  if (!fromRules) return fromJson;
  if (fromJson === undefined) return fromRules;
  if (typeof fromJson !== 'object' || fromJson === null || Array.isArray(fromJson)) return fromJson;
  const overlap = Object.keys(fromRules).some((k) => k in fromJson);
  return overlap ? { $and: [fromRules, fromJson] } : { ...fromJson, ...fromRules };
}

/**
 * A stored condition split back into rows and the rest: each `attribute: {op: value}` (or a bare
 * value, an `$eq`) with operators the rows know becomes rows; everything else stays JSON.
 */
export function rulesFromCondition(condition: unknown): {
  rules: TargetingRule[];
  rest?: Record<string, unknown>;
} {
  if (!condition || typeof condition !== 'object' || Array.isArray(condition)) return { rules: [] };
  const rules: TargetingRule[] = [];
  const rest: Record<string, unknown> = {};
  const text = (v: unknown): string | undefined =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  for (const [attribute, c] of Object.entries(condition as Record<string, unknown>)) {
    if (attribute.startsWith('$')) {
      rest[attribute] = c;
      continue;
    }
    const bare = text(c);
    if (bare !== undefined && typeof c !== 'string') {
      rules.push({ attribute, operator: '$eq', value: bare });
      continue;
    }
    if (typeof c === 'string') {
      // A bare string with a comma would come back as a list; keep such values in JSON.
      if (c.includes(',')) rest[attribute] = c;
      else rules.push({ attribute, operator: '$eq', value: c });
      continue;
    }
    if (!c || typeof c !== 'object' || Array.isArray(c)) {
      rest[attribute] = c;
      continue;
    }
    const own: TargetingRule[] = [];
    let representable = true;
    for (const [op, v] of Object.entries(c as Record<string, unknown>)) {
      if (!isRuleOperator(op)) representable = false;
      else if (op === '$in' || op === '$nin') {
        const items = Array.isArray(v) ? v.map(text) : [];
        if (items.some((s) => s === undefined || s.includes(','))) representable = false;
        else own.push({ attribute, operator: op, value: items.join(', ') });
      } else {
        const s = text(v);
        if (s === undefined) representable = false;
        else own.push({ attribute, operator: op, value: s });
      }
    }
    if (representable) rules.push(...own);
    else rest[attribute] = c;
  }
  return Object.keys(rest).length > 0 ? { rules, rest } : { rules };
}

export function targetingRows(view: FormView): SafeHtml {
  const rows = Array.from({ length: rowCount(view, 'targetingRules', 2) }, (_, i) => {
    const at = `targetingRules[${i}]`;
    return html`<tr data-testid="targeting-rule-${i}"><td>${textField(view, `${at}.attribute`, 'Attribute', { placeholder: 'plan' })}</td>
  <td>${selectField(view, `${at}.operator`, 'Operator', ruleOperators)}</td>
  <td>${textField(view, `${at}.value`, 'Value', { hint: 'lists for $in and $nin: gold, silver' })}</td>
  <td>${removeRowButton(view, 'targetingRules', i)}</td></tr>`;
  });
  return html`<div data-testid="targeting-rules" class="row-actions">${fieldErrors(view, 'targetingRules', true)}
  <p class="hint">Every rule must hold. Numbers and true/false are compared as such.</p>
  <table class="rows"><tbody>${rows}</tbody></table>
  ${addRowButton(view, 'targetingRules', 'Add a rule')}</div>`;
}
