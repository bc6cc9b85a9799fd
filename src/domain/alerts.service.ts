import type { AlertRepository } from '../db/alert.repository.js';
import { absoluteLift, countText, type Readout } from '../stats/index.js';
import type { AlertsService as AlertsReader } from './readouts.contract.js';
import type { Alert, AlertKind, AlertQuery } from './schemas/alert.schema.js';
import type { WebhookNotifier } from './webhooks.js';

/** Refreshes failing this many times in a row raise an alert. */
export const FAILURE_STREAK = 3;
const DEFAULT_HARM_THRESHOLD = 0.1;
/**
 * The evidence a guardrail alert needs under the sequential rule: the Bayes factor for harm beyond
 * the margin that holds a ship back (the engine's default `blockBayesFactor`), so an alert and the
 * decision never disagree about whether there is harm.
 */
export const ALERT_HARM_BAYES_FACTOR = 3;
/**
 * Fewest observations per arm, on both the variant and the control, before a guardrail can alert:
 * below these a single unhappy answer moves the chance of harm by tens of points. Conversions need
 * the most (a rare event), survey means the fewest (answers on a short scale), NPS in between
 * (three categories to estimate). Per statistic of the engine: ordinal scales are answers like
 * survey means; ratios need their denominators to settle; revenue is as rare as a conversion.
 */
export const MIN_ALERT_SAMPLE = {
  conversion: 200,
  mean: 30,
  nps: 50,
  ratio: 100,
  ordinal: 30,
  revenue: 200,
} as const;

export interface Condition {
  kind: AlertKind;
  condition: string;
  message: string;
  details: Record<string, unknown>;
}

interface ExperimentRef {
  key: string;
  name: string;
  phase: number;
  decision?: { harmThreshold?: number | undefined } | undefined;
}

const pct = (p: number) => `${Math.round(p * 100)}%`;

/** The conditions a readout makes true; each condition string names exactly one thing to act on. */
export function conditionsOf(exp: ExperimentRef, readout: Readout): Condition[] {
  const out: Condition[] = [];
  const base = `${exp.key}:${exp.phase}`;
  if (readout.srm.mismatch) {
    out.push({
      kind: 'srm',
      condition: `srm:${base}`,
      message: `${exp.name}: traffic split does not match the weights (sample-ratio mismatch, p = ${readout.srm.pValue.toExponential(2)}); results are not trustworthy until the cause is found.`,
      details: { pValue: readout.srm.pValue, chiSquare: readout.srm.chiSquare },
    });
  }
  const threshold = exp.decision?.harmThreshold ?? DEFAULT_HARM_THRESHOLD;
  const name = (key: string) => readout.variantNames?.[key] ?? key;
  for (const [metric, result] of Object.entries(readout.metrics)) {
    if (result.role !== 'guardrail') continue;
    const least = MIN_ALERT_SAMPLE[result.kind];
    const controlN = Object.values(result.variants).find(
      (a) => a.status === 'ok' && !('chanceOfHarm' in a),
    )?.n;
    for (const [variant, arm] of Object.entries(result.variants)) {
      if (arm.status !== 'ok' || !('chanceOfHarm' in arm)) continue;
      if (arm.n < least || (controlN ?? 0) < least) continue;
      // Sequential readouts carry the Bayes factor the decision used; a read-once rule, the chance.
      const harmed =
        arm.harmEvidence !== undefined
          ? arm.harmEvidence >= ALERT_HARM_BAYES_FACTOR
          : arm.chanceOfHarm >= threshold;
      if (!harmed) continue;
      out.push({
        kind: 'guardrail-harm',
        condition: `guardrail-harm:${base}:${metric}:${variant}`,
        message: `${exp.name}: ${name(variant)} may be harming ${result.name}: ${pct(arm.chanceOfHarm)} chance of a ${result.lowerIsBetter ? 'rise' : 'drop'} beyond the margin, ${absoluteLift(result.kind, arm.absoluteLift.mean)} against the control, on ${countText(arm.n)} and ${countText(controlN)} observations.`,
        details: {
          metric,
          variant,
          chanceOfHarm: arm.chanceOfHarm,
          ...(arm.harmEvidence !== undefined ? { harmEvidence: arm.harmEvidence } : {}),
          absoluteLift: arm.absoluteLift.mean,
          n: arm.n,
          controlN: controlN ?? 0,
          threshold,
        },
      });
    }
  }
  // stop-srm is the SRM alert's own business; one alert per thing to act on.
  if (readout.decision.action !== 'keep-running' && readout.decision.action !== 'stop-srm') {
    const { action, variant } = readout.decision;
    out.push({
      kind: 'decision-reached',
      condition: `decision-reached:${base}:${action}:${variant ?? ''}`,
      message: `${exp.name}: ${readout.decision.summary}`,
      details: { action, variant: variant ?? null },
    });
  }
  return out;
}

/**
 * Opens, keeps and clears alerts so there is one open alert per condition. It relies on the
 * refresh lease: evaluations of one experiment never run concurrently, so "find open, else insert"
 * cannot race with itself.
 */
export class AlertsService implements AlertsReader {
  constructor(
    private readonly repo: AlertRepository,
    readonly webhooks: WebhookNotifier,
  ) {}

  list(query: AlertQuery): Promise<Alert[]> {
    return this.repo.list(query);
  }

  /** After an ok refresh: the readout's conditions are the truth; everything else of the experiment clears. */
  async afterRefresh(exp: ExperimentRef, readout: Readout, at: Date): Promise<Alert[]> {
    const active = conditionsOf(exp, readout);
    const opened: Alert[] = [];
    for (const c of active) {
      const a = await this.raise(exp.key, c, at);
      if (a) opened.push(a);
    }
    const keep = new Set(active.map((c) => c.condition));
    for (const open of await this.repo.openOf(exp.key)) {
      if (!keep.has(open.condition)) await this.clear(open, at);
    }
    return opened;
  }

  /** After a failed refresh: alert once the last FAILURE_STREAK refreshes all failed. */
  async afterFailure(exp: ExperimentRef, streak: number, lastError: string, at: Date): Promise<Alert | null> {
    if (streak < FAILURE_STREAK) return null;
    return this.raise(
      exp.key,
      {
        kind: 'refresh-failing',
        condition: `refresh-failing:${exp.key}`,
        message: `${exp.name}: the last ${streak} refreshes failed; the readout shown is the last good one. Last error: ${lastError}`,
        details: { streak, lastError },
      },
      at,
    );
  }

  /** Returns the new alert, or null when the condition was already open. */
  private async raise(experiment: string, c: Condition, at: Date): Promise<Alert | null> {
    const existing = await this.repo.findOpen(experiment, c.condition);
    if (existing) {
      // The message is rewritten too: it must tell today's figures, not those it opened with.
      await this.repo.rewrite(existing.id, at, c.details, c.message);
      return null;
    }
    const alert = await this.repo.open({ ...c, experiment, openedAt: at.toISOString() });
    this.webhooks.notify({ type: 'alert.opened', alert });
    return alert;
  }

  private async clear(alert: Alert, at: Date): Promise<void> {
    const cleared = await this.repo.clear(alert.id, at);
    if (cleared) this.webhooks.notify({ type: 'alert.cleared', alert: cleared });
  }
}
