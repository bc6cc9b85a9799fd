import type { AlertRepository } from '../db/alert.repository.js';
import { type I18n, i18nFor, LANGUAGES, type Lang } from '../i18n/index.js';
import { absoluteLift, countText, type Readout } from '../stats/index.js';
import { wordedSummary } from './evidence/evidence-text.js';
import type { AlertsService as AlertsReader } from './readouts.contract.js';
import type { Alert, AlertKind, AlertQuery } from './schemas/alert.schema.js';
import type { Evidence } from './schemas/evidence.schema.js';
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
  /** The message in the other languages, by language code, written at the same time. */
  messages?: Record<string, string>;
  details: Record<string, unknown>;
}

interface ExperimentRef {
  key: string;
  name: string;
  phase: number;
  /** Needed to word the decision sentence again in other languages. */
  control?: string;
  decision?: { harmThreshold?: number | undefined } | undefined;
}

const pct = (p: number, i: I18n) => i.wording.percent(Math.round(p * 100), 0);
const OTHER_LANGUAGES = LANGUAGES.filter((l) => l !== 'en');

/** The English message and the same message in every other language. */
function worded(say: (i: I18n) => string): { message: string; messages: Record<string, string> } {
  return {
    message: say(i18nFor('en')),
    messages: Object.fromEntries(OTHER_LANGUAGES.map((l) => [l, say(i18nFor(l))])),
  };
}

/** The conditions a readout makes true; each condition string names exactly one thing to act on. */
export function conditionsOf(exp: ExperimentRef, readout: Readout, evidence?: Evidence): Condition[] {
  const out: Condition[] = [];
  const base = `${exp.key}:${exp.phase}`;
  if (readout.srm.mismatch) {
    out.push({
      kind: 'srm',
      condition: `srm:${base}`,
      ...worded((i) => {
        const [mantissa = '', exponent = ''] = readout.srm.pValue.toExponential(2).split('e');
        const p = `${i.wording.fixed(Number(mantissa), 2)}e${exponent}`;
        return i.t('alert.srm', { experiment: exp.name, p });
      }),
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
        ...worded((i) =>
          i.t(result.lowerIsBetter ? 'alert.guardrailRise' : 'alert.guardrailDrop', {
            experiment: exp.name,
            variant: name(variant),
            metric: result.name,
            chance: pct(arm.chanceOfHarm, i),
            lift: absoluteLift(result.kind, arm.absoluteLift.mean, i.wording),
            n: countText(arm.n, i.wording),
            controlN: countText(controlN, i.wording),
          }),
        ),
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
      ...worded((i) => {
        const summary =
          i.lang === 'en' || exp.control === undefined
            ? readout.decision.summary
            : (wordedSummary(readout, exp.control, i.wording, evidence) ?? readout.decision.summary);
        return i.t('alert.decision', { experiment: exp.name, summary });
      }),
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

  async list(query: AlertQuery, lang: Lang = 'en'): Promise<Alert[]> {
    const alerts = await this.repo.list(query);
    if (lang === 'en') return alerts;
    // Alerts written before messages were kept in every language stay in English.
    return alerts.map((a) => {
      const message = a.messages?.[lang];
      return message ? { ...a, message, language: lang } : a;
    });
  }

  /** After an ok refresh: the readout's conditions are the truth; everything else of the experiment clears. */
  async afterRefresh(exp: ExperimentRef, readout: Readout, at: Date, evidence?: Evidence): Promise<Alert[]> {
    const active = conditionsOf(exp, readout, evidence);
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
        ...worded((i) => i.t('alert.refreshFailing', { experiment: exp.name, streak, error: lastError })),
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
      await this.repo.rewrite(existing.id, at, c.details, c.message, c.messages);
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
