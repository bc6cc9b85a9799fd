import type { Response } from 'express';
import { DomainError } from '../../domain/errors.js';
import { type PlanQuery, planQuerySchema } from '../../domain/planning.service.js';
import type { Experiment } from '../../domain/schemas/experiment.schema.js';
import type { Nudge } from '../../domain/schemas/nudge.schema.js';
import { experimentLinks, lifecycleForms, planningFigures, statusLine } from './experiment-tools.page.js';
import { html, type SafeHtml } from './html.js';
import { nudgePreview } from './nudge-form.page.js';
import { touchpointContents } from './workspace.page.js';
import { readerOf, who } from './workspace-context.js';
import type { Kind, WorkspaceServices } from './workspace-kinds.js';

export interface ExtrasQuery {
  /** The nudge preview's time zone and moment. */
  timeZone?: string | undefined;
  at?: string | undefined;
  /** The planning figures' entered inputs. */
  plan: PlanQuery;
}

/**
 * What a stored definition's page shows under its form: a nudge's preview, a touchpoint's
 * nudges and experiments, an experiment's lifecycle, links and planning.
 */
export async function definitionExtras(
  services: WorkspaceServices,
  res: Response,
  kind: Kind,
  stored: Record<string, unknown> & { key: string },
  query: ExtrasQuery,
): Promise<SafeHtml | undefined> {
  const { csrf, canEdit } = who(res);
  const i = readerOf(res);
  const key = stored.key;
  if (kind === 'nudge') {
    const at = query.at && !Number.isNaN(Date.parse(query.at)) ? new Date(query.at) : new Date();
    const test = canEdit
      ? html`<p><a class="button" data-testid="new-experiment-of-nudge" href="/dashboard/new/experiment?nudge=${encodeURIComponent(key)}">${i.t('workspace.nudge.newExperiment')}</a></p>`
      : '';
    return html`${test}${nudgePreview(stored as unknown as Nudge, query.timeZone ?? 'UTC', at, i)}`;
  }
  if (kind === 'touchpoint') {
    const nudges = await services.nudges.list({ touchpoint: key });
    const experiments = await services.experiments.list({ touchpoint: key });
    return touchpointContents(key, nudges, experiments, canEdit, i);
  }
  if (kind === 'experiment') {
    const exp = stored as unknown as Experiment;
    let plan: Parameters<typeof planningFigures>[0];
    try {
      const q = planQuerySchema.safeParse(query.plan);
      plan = await services.planning.forExperiment(exp.key, q.success ? q.data : {});
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      plan = err.message;
    }
    return html`${canEdit ? lifecycleForms(exp, csrf, i) : statusLine(exp, i)}
${experimentLinks(exp, i)}${planningFigures(plan, i)}`;
  }
  return undefined;
}
