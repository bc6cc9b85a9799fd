import { DomainError } from '../../domain/errors.js';
import { ENGLISH_I18N, type I18n, type MessageKey } from '../../i18n/index.js';
import {
  addRowButton,
  type FormView,
  fieldErrors,
  removeRowButton,
  rowCount,
  selectField,
  textField,
  wordsOf,
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

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

/** The condition the rows say, or undefined for no rows; a half-filled row is a field error. */
export function conditionFromRules(
  rules: unknown,
  i: I18n = ENGLISH_I18N,
): Record<string, unknown> | undefined {
  if (!Array.isArray(rules)) return undefined;
  // The reasons are the form's own, so they are in the reader's language.
  const invalid = (path: string, key: MessageKey, params?: Record<string, string>) =>
    new DomainError('validation_failed', i.t('workspace.rules.invalidForm'), {
      fields: [{ path, reason: i.t(key, params) }],
    });
  const condition: Record<string, Record<string, unknown>> = {};
  rules.forEach((raw, i) => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    const at = `targetingRules[${i}]`;
    const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');
    const attribute = str(rule.attribute).trim();
    const operator = str(rule.operator).trim() || '$eq';
    const value = str(rule.value);
    if (attribute === '' && value.trim() === '') return;
    if (attribute === '') throw invalid(`${at}.attribute`, 'workspace.rules.nameAttribute');
    if (!/^[A-Za-z_][\w.-]{0,63}$/.test(attribute)) {
      throw invalid(`${at}.attribute`, 'workspace.rules.attributeChars');
    }
    if (!isRuleOperator(operator))
      throw invalid(`${at}.operator`, 'workspace.rules.operatorOneOf', {
        operators: ruleOperators.join(' '),
      });
    if (operator !== '$exists' && value.trim() === '')
      throw invalid(`${at}.value`, 'workspace.rules.giveValue');
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
    if (operator in existing)
      throw invalid(`${at}.operator`, 'workspace.rules.duplicate', { attribute, operator });
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
  const i = wordsOf(view);
  const { t } = i;
  const rows = Array.from({ length: rowCount(view, 'targetingRules', 2) }, (_, n) => {
    const at = `targetingRules[${n}]`;
    return html`<tr data-testid="targeting-rule-${n}"><td>${textField(view, `${at}.attribute`, t('workspace.rules.attribute'), { placeholder: 'plan' })}</td>
  <td>${selectField(view, `${at}.operator`, t('workspace.rules.operator'), ruleOperators)}</td>
  <td>${textField(view, `${at}.value`, t('workspace.rules.value'), { hint: t('workspace.rules.valueHint') })}</td>
  <td>${removeRowButton(view, 'targetingRules', n)}</td></tr>`;
  });
  return html`<div data-testid="targeting-rules" class="row-actions">${fieldErrors(view, 'targetingRules', true)}
  <p class="hint">${say(i, 'workspace.rules.hint')}</p>
  <table class="rows"><tbody>${rows}</tbody></table>
  ${addRowButton(view, 'targetingRules', t('workspace.rules.add'))}</div>`;
}
