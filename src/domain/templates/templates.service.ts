import type { DefinitionRepository } from '../../db/definition.repository.js';
import type { AuditService } from '../audit.service.js';
import { DefinitionsService } from '../definitions.service.js';
import type { ExperimentsService } from '../experiments.service.js';
import type { NudgesService } from '../nudges.service.js';
import type { Actor } from '../roles.js';
import type { Experiment } from '../schemas/experiment.schema.js';
import type { Nudge } from '../schemas/nudge.schema.js';
import {
  instantiateInputSchema,
  type StoredTemplate,
  type TemplateView,
  templateInputSchema,
} from '../schemas/template.schema.js';
import { parseOrThrow } from '../validate.js';
import { templateView } from './template-evidence.js';

export interface TemplateFilters {
  type?: string;
  channel?: string;
  stage?: string;
}

export interface Instantiated {
  template: string;
  nudge: Nudge;
  experiment: Experiment;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** The template library: loaded from files by sync, read by the catalogue, turned into drafts. */
export class TemplatesService extends DefinitionsService<typeof templateInputSchema, StoredTemplate> {
  constructor(
    repo: DefinitionRepository<StoredTemplate>,
    audit: AuditService,
    private readonly nudges: NudgesService,
    private readonly experiments: ExperimentsService,
  ) {
    super('template', templateInputSchema, repo, audit);
  }

  async catalogue(filters: TemplateFilters = {}): Promise<TemplateView[]> {
    // A library of tens of templates: listed whole and filtered here (channels and stages are lists).
    return (await this.list())
      .filter((t) => !filters.type || t.type === filters.type)
      .filter((t) => !filters.channel || (t.fit.channels as string[]).includes(filters.channel))
      .filter((t) => !filters.stage || t.fit.stages.includes(filters.stage))
      .map(templateView);
  }

  async view(key: string): Promise<TemplateView> {
    return templateView(await this.get(key));
  }

  /** A draft nudge on the touchpoint and a draft experiment of it, with metrics and a hypothesis. */
  async instantiate(actor: Actor, key: string, body: unknown): Promise<Instantiated> {
    const input = parseOrThrow(instantiateInputSchema, body ?? {});
    const t = await this.view(key);
    const nudgeKey = input.nudgeKey ?? `${t.key}-${input.touchpoint}`.slice(0, 75);
    const experimentKey = input.experimentKey ?? `${nudgeKey}-test`.slice(0, 80);
    const nudge = await this.nudges.create(actor, {
      key: nudgeKey,
      touchpoint: input.touchpoint,
      type: t.type,
      name: t.name,
      principle: t.principle,
      description: `From template "${t.key}": ${t.description}`,
      variants: t.nudge.variants,
    });
    const effect = t.publishedEffect
      ? ` Published: ${pct(t.publishedEffect.relative)} relative (${t.evidence.citation.split('.')[0]}; evidence grade ${t.grade.grade}).`
      : ` Published effect not known from the evidence file (grade ${t.grade.grade}).`;
    const usePrior = input.usePrior && t.prior !== null && t.publishedEffect !== null;
    const prior =
      usePrior && t.prior
        ? ` Prior expectation after publication bias: ${pct(t.prior.expectedRelativeLift)} relative (${t.prior.basis}).`
        : '';
    const share = 1 / t.nudge.variants.length;
    const weights = t.nudge.variants.map((v, i) => ({
      key: v.key,
      // Weights must add up to 1 exactly: the last variant takes the rounding.
      weight: i === t.nudge.variants.length - 1 ? 1 - share * (t.nudge.variants.length - 1) : share,
    }));
    let experiment: Experiment;
    try {
      experiment = await this.experiments.create(actor, {
        key: experimentKey,
        name: t.name,
        nudge: nudgeKey,
        owner: input.owner,
        hypothesis: `${t.hypothesis}${effect}${prior}`.slice(0, 2000),
        control: t.nudge.variants[0]?.key,
        variants: weights,
        metrics: [
          {
            key: t.metric.key,
            name: t.metric.name ?? t.metric.key,
            kind: 'conversion',
            role: 'primary',
            event: t.metric.event,
            lowerIsBetter: t.evidence.lowerIsBetter,
          },
          { key: 'csat', name: 'CSAT', kind: 'mean', role: 'guardrail', event: 'csat', margin: 0.1 },
        ],
        // The readout combines it with the experiment's own lift on the primary metric.
        ...(usePrior && t.prior && t.publishedEffect
          ? {
              prior: {
                from: 'template',
                template: t.key,
                relativeLift: t.prior.expectedRelativeLift,
                sd: t.prior.sd,
                publishedRelativeLift: t.publishedEffect.relative,
              },
            }
          : {}),
      });
    } catch (err) {
      // No half-made draft: the nudge goes when its experiment cannot be created.
      await this.nudges.delete(actor, nudgeKey).catch(() => undefined);
      throw err;
    }
    return { template: t.key, nudge, experiment };
  }
}
