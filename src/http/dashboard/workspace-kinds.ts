import { stringify } from 'yaml';
import { z } from 'zod';
import type { DefinitionKind } from '../../db/models/definition.model.js';
import { DomainError } from '../../domain/errors.js';
import type { PlanningService } from '../../domain/planning.service.js';
import type { Actor } from '../../domain/roles.js';
import { type NudgeType, nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import type { Services } from '../../domain/services.js';
import { changedFields } from '../../domain/sync/sync-plan.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { experimentForm, type NudgeChoice } from './experiment-form.page.js';
import { type FormBody, jsonField, nestForm } from './form-data.js';
import { type FormView, flatten } from './form-fields.js';
import type { SafeHtml } from './html.js';
import { journeyForm, touchpointForm } from './journey-form.page.js';
import { nudgeForm } from './nudge-form.page.js';
import { combineTargeting, conditionFromRules, rulesFromCondition } from './targeting-rules.js';

export const kindSchema = z.enum(['journey', 'touchpoint', 'nudge', 'experiment']);
export type Kind = z.infer<typeof kindSchema>;

export type WorkspaceServices = Pick<
  Services,
  'journeys' | 'touchpoints' | 'nudges' | 'experiments' | 'audit' | 'readouts'
> & { planning: PlanningService };

type Editable = {
  create(actor: Actor, body: unknown): Promise<{ key: string }>;
  update(actor: Actor, key: string, body: unknown, expectedVersion?: number): Promise<{ key: string }>;
  get(key: string): Promise<Record<string, unknown> & { key: string; version: number }>;
  list(): Promise<(Record<string, unknown> & { key: string })[]>;
  checkDeletable(key: string): Promise<unknown>;
  delete(actor: Actor, key: string): Promise<void>;
};

export function serviceOf(services: WorkspaceServices, kind: Kind): Editable {
  return services[`${kind}s`] as unknown as Editable;
}

/**
 * The definition a form posts, built from its fields. Targeting comes from the attribute rules and
 * the JSON field for what rules cannot say; both must hold.
 */
export function bodyFromForm(kind: Kind, form: FormBody, i: I18n = ENGLISH_I18N): Record<string, unknown> {
  const body = nestForm(form);
  if (kind === 'experiment') {
    const rules = conditionFromRules(body.targetingRules, i);
    const json = 'targeting' in body ? jsonField(body.targeting, 'targeting', i) : undefined;
    delete body.targetingRules;
    const targeting = combineTargeting(rules, json);
    if (targeting === undefined) delete body.targeting;
    else body.targeting = targeting;
    // A template's figures ride along hidden; another choice (or none) leaves them behind.
    const prior = body.prior as Record<string, unknown> | undefined;
    if (prior?.from === undefined) delete body.prior;
    else if (prior.from !== 'template') body.prior = { from: prior.from };
  }
  return body;
}

/** Form values from a stored definition: simple targeting as rules, the rest as JSON text. */
export function valuesFromStored(kind: Kind, stored: Record<string, unknown>): FormBody {
  if (kind === 'experiment' && stored.targeting) {
    const { rules, rest } = rulesFromCondition(stored.targeting);
    const { targeting: _, ...others } = stored;
    return flatten({
      ...others,
      targetingRules: rules,
      ...(rest ? { targeting: JSON.stringify(rest) } : {}),
    });
  }
  return flatten(stored);
}

export interface FormContext {
  kind: Kind;
  existing?: string;
  nudgeType: NudgeType;
  touchpoints: string[];
  nudges: NudgeChoice[];
}

export function renderForm(view: FormView, ctx: FormContext): SafeHtml {
  const existing = ctx.existing;
  const opt = existing ? { existing } : {};
  if (ctx.kind === 'journey') return journeyForm(view, existing);
  if (ctx.kind === 'touchpoint') return touchpointForm(view, existing);
  if (ctx.kind === 'nudge')
    return nudgeForm(view, { ...opt, type: ctx.nudgeType, touchpoints: ctx.touchpoints });
  return experimentForm(view, { ...opt, nudges: ctx.nudges });
}

export function nudgeTypeOf(value: unknown): NudgeType {
  return nudgeTypes.find((t) => t === value) ?? 'framing';
}

/**
 * The file that manages a definition, when `npm run sync` (or the first start's sync) wrote it:
 * stored on the definition itself, so the list and the refusal read no audit log. A browser edit
 * would be undone by the next sync, so the file is where it changes until no file declares it.
 */
export function sourceOf(stored: Record<string, unknown>): string | undefined {
  return typeof stored.source === 'string' && stored.source !== '' ? stored.source : undefined;
}

export function fileManagedRefusal(
  kind: Kind,
  key: string,
  source: string,
  i: I18n = ENGLISH_I18N,
): DomainError {
  return new DomainError('forbidden', i.t('workspace.managed.refusal', { kind, key, source }));
}

const sections: Record<Kind, string> = {
  journey: 'journeys',
  touchpoint: 'touchpoints',
  nudge: 'nudges',
  experiment: 'experiments',
};

/**
 * A definition as a file `npm run sync` accepts and finds unchanged: the fields a strategist
 * writes, without what the service keeps beside them (ids, versions, lifecycle).
 */
export function exportYaml(kind: Kind, stored: Record<string, unknown>): string {
  const names = Object.keys(stored);
  // changedFields against an empty object lists every field the comparison looks at.
  const kept = new Set(changedFields(kind as DefinitionKind, stored, {}));
  const item = Object.fromEntries(names.filter((n) => kept.has(n)).map((n) => [n, stored[n]]));
  return stringify({ [sections[kind]]: [item] });
}
