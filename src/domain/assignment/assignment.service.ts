import type { Attributes } from '@growthbook/growthbook';
import type { ExposureDoc } from '../../db/exposure.repository.js';
import type { MetaRepository } from '../../db/meta.repository.js';
import { exposureId } from '../../db/models/exposure.model.js';
import type { Logger } from '../../logger.js';
import { DomainError, validationError } from '../errors.js';
import type { FatigueGate } from '../fatigue/fatigue-gate.js';
import type { IdentityDirectory, StickyVariants } from '../identities/identity-directory.js';
import { HOLDOUT_ARM, NUDGED_ARM } from '../schemas/holdout.schema.js';
import { parseOrThrow } from '../validate.js';
import {
  type AssignmentResponse,
  assignmentRequestSchema,
  type ExperimentAssignment,
} from './assignment.schema.js';
import { quickAssignmentRequest } from './assignment-request.fast.js';
import type {
  CompiledPayload,
  ExperimentDefinition,
  NudgeDefinition,
  TouchpointDefinition,
} from './compiled.types.js';
import { deliverAt, isValidTimeZone, type TimingRule } from './deliver-at.js';
import { type Evaluation, Evaluator, type HoldoutArm } from './evaluator.js';
import type { ExposureWriter } from './exposure-writer.js';
import type { FatiguePolicyDefinition } from './fatigue-rules.js';
import type { HoldoutDefinition } from './holdout-rules.js';
import { compilePayload } from './payload-compiler.js';

/** Read access to one kind of definition; the compiler needs nothing else of the repositories. */
export interface DefinitionSource<T> {
  list(): Promise<T[]>;
}

export interface AssignmentServiceOptions {
  touchpoints: DefinitionSource<TouchpointDefinition>;
  nudges: DefinitionSource<NudgeDefinition>;
  experiments: DefinitionSource<ExperimentDefinition>;
  holdouts?: DefinitionSource<HoldoutDefinition>;
  fatiguePolicies?: DefinitionSource<FatiguePolicyDefinition>;
  /** Counts nudged contacts and applies the fatigue caps; absent, no cap applies. */
  fatigue?: FatigueGate;
  /** Linked ids in memory: an alias is answered as its customer, with the variants the group keeps. */
  identities?: IdentityDirectory;
  meta: MetaRepository;
  writer: ExposureWriter;
  logger: Logger;
  pollMs: number;
  /** Attributes copied onto exposures for segment breakdowns. */
  exposureAttributes: readonly string[];
}

const META_KEY = 'definitions';

/**
 * The numeric attributes an experiment's metrics name as pre-exposure covariates, as sent with the
 * assignment; a value that is not a finite number is left out (the unit then counts 0).
 */
function covariatesOf(
  names: readonly string[] | undefined,
  attributes: Attributes,
): Record<string, number> | null {
  if (!names || names.length === 0) return null;
  const out: Record<string, number> = {};
  for (const name of names) {
    const v = attributes[name];
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Answers which variants a customer gets, from a payload compiled in memory: no database round
 * trip on the request path. The payload is rebuilt when a definition changes on this instance
 * (`definitionsChanged`) and when another instance bumps the `definitions` version counter, which
 * every instance polls.
 */
export class AssignmentService {
  private evaluator: Evaluator | null = null;
  private building: Promise<void> | null = null;
  private again = false;
  private seenVersion = -1;
  private poller: NodeJS.Timeout | null = null;
  private readonly allowed: Set<string>;

  constructor(private readonly opts: AssignmentServiceOptions) {
    this.allowed = new Set(opts.exposureAttributes);
  }

  /** Starts polling the version counter other instances bump. */
  start(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.poll(), this.opts.pollMs);
    this.poller.unref();
  }

  private async poll(): Promise<void> {
    try {
      const version = await this.opts.meta.version(META_KEY);
      if (version !== this.seenVersion) {
        this.seenVersion = version;
        await this.refresh();
      }
    } catch (err) {
      this.opts.logger.debug({ err }, 'payload version poll failed');
    }
  }

  /**
   * Rebuilds here at once and tells other instances. The build starts before this returns its
   * promise, so an assignment asked right after a change waits for the new payload.
   */
  async definitionsChanged(): Promise<void> {
    const built = this.refresh().catch((err: unknown) => {
      this.opts.logger.error({ err }, 'payload rebuild failed; the previous payload stays in use');
    });
    try {
      this.seenVersion = await this.opts.meta.bump(META_KEY);
    } catch (err) {
      this.opts.logger.warn(
        { err },
        'could not bump the definitions version; other instances rebuild on their next change',
      );
    }
    await built;
  }

  /** Rebuilds the payload from the stored definitions; overlapping calls coalesce into one more build. */
  refresh(): Promise<void> {
    if (this.building) {
      this.again = true;
      return this.building;
    }
    this.building = (async () => {
      do {
        this.again = false;
        const [touchpoints, nudges, experiments, holdouts, fatigue] = await Promise.all([
          this.opts.touchpoints.list(),
          this.opts.nudges.list(),
          this.opts.experiments.list(),
          this.opts.holdouts?.list() ?? [],
          this.opts.fatiguePolicies?.list() ?? [],
        ]);
        this.evaluator = new Evaluator(
          compilePayload({ touchpoints, nudges, experiments, holdouts, fatigue }),
        );
      } while (this.again);
    })().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  async compiled(): Promise<CompiledPayload> {
    return (await this.current()).compiled;
  }

  private async current(): Promise<Evaluator> {
    if (this.building) await this.building;
    if (!this.evaluator) await this.refresh();
    return this.evaluator as Evaluator;
  }

  async assign(body: unknown, now = new Date()): Promise<AssignmentResponse> {
    const req = quickAssignmentRequest(body) ?? parseOrThrow(assignmentRequestSchema, body);
    const tz = req.attributes.timezone;
    if (tz !== undefined && (typeof tz !== 'string' || !isValidTimeZone(tz))) {
      throw validationError([
        { path: 'attributes.timezone', reason: 'must be an IANA time zone name such as Europe/Paris' },
      ]);
    }
    const evaluator = await this.current();
    const keys = req.touchpoints ?? (req.touchpoint ? [req.touchpoint] : []);
    const plans = keys.map((key, i) => {
      const tp = evaluator.touchpoint(key);
      if (!tp) {
        throw new DomainError('touchpoint_not_found', `No touchpoint with key "${key}".`, {
          fields: [
            { path: req.touchpoints ? `touchpoints[${i}]` : 'touchpoint', reason: 'unknown touchpoint' },
          ],
        });
      }
      return tp;
    });
    // One Map lookup for an id never linked; only a linked customer's kept variants may need a read.
    const directory = this.opts.identities;
    const customer = directory ? await directory.resolveReady(req.customerId) : undefined;
    const sticky: StickyVariants | undefined =
      customer !== undefined && directory ? await directory.stickyOf(customer) : undefined;
    const unitId = customer ?? req.customerId;
    const attributes: Attributes = { ...req.attributes, customerId: unitId, channel: req.channel };
    const assignments: ExperimentAssignment[] = [];
    const exposures: ExposureDoc[] = [];
    let kept: Record<string, string> | undefined;
    for (const tp of plans) {
      const arms = evaluator.holdoutArms(tp, attributes);
      const held = arms.some((a) => a.member);
      let evaluations = held ? evaluator.withheld(tp, 'holdout') : evaluator.evaluate(tp, attributes, sticky);
      // Every contact that answered a variant counts, control included, so the cap never depends on the arm.
      const fatigue = this.opts.fatigue;
      if (fatigue && tp.fatigue.length > 0 && evaluations.some((e) => e.inExperiment && !e.qa)) {
        if (await fatigue.capped(unitId, tp, tp.fatigue, now)) {
          evaluations = evaluator.withheld(tp, 'fatigue');
        }
      }
      for (const ev of evaluations) {
        assignments.push(this.toAssignment(ev, tp.key, now, typeof tz === 'string' ? tz : 'UTC'));
        if (ev.inExperiment && ev.variant) {
          kept ??= this.kept(attributes);
          exposures.push(this.exposureOf(ev, tp.key, req.customerId, req.channel, attributes, kept, now));
        }
      }
      // Both arms of a holdout are counted where something could have nudged them.
      if (arms.length > 0 && tp.exclusive.length + tp.overlapping.length > 0) {
        kept ??= this.kept(attributes);
        for (const arm of arms) {
          exposures.push(this.holdoutExposureOf(arm, tp.key, req.customerId, req.channel, kept, now));
        }
      }
    }
    // The customer sees the variant only once its exposure would survive a crash of this process;
    // the exposures of one answer are logged together (one append), and none when a step failed.
    if (exposures.length > 0) {
      try {
        await this.opts.writer.enqueueAll(exposures);
      } catch (err) {
        this.opts.logger.error({ err }, 'exposure log append failed; assignment refused');
        throw new DomainError('exposure_log_unavailable');
      }
    }
    return {
      customerId: req.customerId,
      ...(customer !== undefined && customer !== req.customerId ? { resolvedCustomerId: customer } : {}),
      assignments,
    };
  }

  private toAssignment(ev: Evaluation, touchpoint: string, now: Date, tz: string): ExperimentAssignment {
    const out: ExperimentAssignment = {
      experiment: ev.experiment.key,
      touchpoint,
      inExperiment: ev.inExperiment,
      variant: ev.variant,
      payload: ev.payload ?? null,
    };
    if (ev.reason) out.reason = ev.reason;
    if (ev.qa) out.qa = true;
    if (ev.inExperiment && ev.experiment.nudgeType === 'timing' && ev.payload) {
      out.deliverAt = deliverAt(now, ev.payload as TimingRule, tz).toISOString();
    }
    return out;
  }

  private holdoutExposureOf(
    arm: HoldoutArm,
    touchpoint: string,
    customerId: string,
    channel: string,
    kept: Record<string, string>,
    now: Date,
  ): ExposureDoc {
    const h = arm.holdout;
    return {
      _id: exposureId(h.id, h.phase, arm.unitId),
      experiment: h.key,
      experimentId: h.id,
      phase: h.phase,
      variant: arm.member ? HOLDOUT_ARM : NUDGED_ARM,
      unit: h.unit,
      unitId: arm.unitId,
      customerId,
      touchpoint,
      channel,
      exposedAt: now,
      attributes: kept,
      qa: false,
    };
  }

  private kept(attributes: Attributes): Record<string, string> {
    const kept: Record<string, string> = {};
    for (const name of this.allowed) {
      const v = attributes[name];
      if (v !== undefined && v !== null && typeof v !== 'object') kept[name] = String(v);
    }
    return kept;
  }

  /** `kept`: the allow-listed attributes, shared by the exposures of one answer (never changed). */
  private exposureOf(
    ev: Evaluation,
    touchpoint: string,
    customerId: string,
    channel: string,
    attributes: Attributes,
    kept: Record<string, string>,
    now: Date,
  ): ExposureDoc {
    const exp = ev.experiment;
    const unitId = String(attributes[exp.unit]);
    const covariates = covariatesOf(exp.covariates, attributes);
    return {
      _id: exposureId(exp.id, exp.phase, unitId),
      experiment: exp.key,
      experimentId: exp.id,
      phase: exp.phase,
      variant: ev.variant as string,
      unit: exp.unit,
      unitId,
      customerId,
      touchpoint,
      channel,
      exposedAt: now,
      attributes: kept,
      qa: ev.qa,
      ...(covariates ? { covariates } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.opts.identities?.close();
    await this.opts.fatigue?.close();
    await this.opts.writer.close();
  }
}
