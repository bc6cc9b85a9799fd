import {
  effectText,
  priorNote,
  pText,
  responseBiasSentence,
  sdText,
} from '../../domain/evidence/evidence-text.js';
import type { Evidence, PriorEvidence, ResponseBias } from '../../domain/schemas/evidence.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { chance, count } from './format.js';
import { html, type SafeHtml } from './html.js';
import { sayer } from './say.js';

type Names = (key: string) => string;

/** A configured figure as it was set (0.001, not rounded to fixed decimals), in the reader's decimal sign. */
const asConfigured = (x: number, i: I18n): string =>
  String(x).replace('.', i.wording.fixed(0.5, 1).charAt(1));

function responseBlock(key: string, r: ResponseBias, name: Names, i: I18n): SafeHtml {
  const t = sayer(i);
  const w = i.wording;
  const status = r.flagged
    ? responseBiasSentence(r, name, i)
    : t('evidence.answeredAlike', { chi: w.fixed(r.chiSquare, 2), p: pText(r.pValue, i) });
  return html`<div class="response-block"><h3>${r.metric}</h3>
<p class="srm ${r.flagged ? 'eff-loss' : 'eff-win'}" data-testid="response-bias-${key}" data-flagged="${String(r.flagged)}">${status}</p>
<table><thead><tr><th>${t('col.variant')}</th><th>${t('evidence.exposed')}</th><th>${t('evidence.answered')}</th><th>${t('evidence.shareAnswered')}</th></tr></thead><tbody>
${Object.entries(r.arms).map(
  ([v, a]) => html`<tr><th scope="row">${name(v)}</th><td class="num">${count(a.exposed, w)}</td>
  <td class="num" data-testid="answered-${key}-${v}">${count(a.answered, w)}</td>
  <td class="num" data-testid="answered-share-${key}-${v}">${chance(a.share, w)}</td></tr>`,
)}
</tbody></table></div>`;
}

/** Survey metrics: who answered, per arm, and whether that share differs between arms. */
export function responseSection(
  evidence: Evidence | undefined,
  name: Names,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  const all = Object.entries(evidence?.responseBias ?? {});
  if (all.length === 0) return html``;
  const t = sayer(i);
  const threshold = asConfigured(all[0]![1].threshold, i);
  return html`<section class="response" data-testid="response-section"><h2>${t('evidence.responseTitle')}</h2>
<p class="muted">${t('evidence.responseIntro', { threshold })}</p>
<div class="two">${all.map(([key, r]) => responseBlock(key, r, name, i))}</div></section>`;
}

function sourcesList(prior: PriorEvidence, i: I18n): SafeHtml {
  if (prior.from !== 'past-nudges' || prior.sources.length === 0) return html``;
  const t = sayer(i);
  return html`<details data-testid="prior-sources"><summary>${t('evidence.sources', { count: prior.sources.length, type: prior.nudgeType ?? '' })}</summary><ul>
${prior.sources.map(
  (s) =>
    html`<li><a href="/dashboard/experiments/${encodeURIComponent(s.experiment)}">${s.experiment}</a> ${t('evidence.source', { variant: s.variant, metric: s.metric, effect: effectText(s.estimate, prior.scale, i), sd: sdText(s.sd, prior.scale, i) })}</li>`,
)}
</ul></details>`;
}

/** The prior on the primary metric: where it came from, and each variant's lift with and without it. */
export function priorSection(evidence: Evidence | undefined, name: Names, i: I18n = ENGLISH_I18N): SafeHtml {
  const prior = evidence?.prior;
  if (!prior) return html``;
  const t = sayer(i);
  const f = (x: number) => effectText(x, prior.scale, i);
  const title = t(prior.from === 'template' ? 'evidence.priorFromTemplate' : 'evidence.priorFromPast');
  const stated = prior.prior
    ? html`<p data-testid="prior-figures">${t('evidence.priorOn', { metric: prior.metric, estimate: f(prior.prior.estimate), sd: sdText(prior.prior.sd, prior.scale, i), low: f(prior.prior.ci95[0]), high: f(prior.prior.ci95[1]) })}</p>`
    : html``;
  const rows = Object.entries(prior.variants).map(
    ([v, a]) => html`<tr><th scope="row">${name(v)}</th>
  <td class="num" data-testid="prior-without-${v}">${f(a.without.estimate)}</td>
  <td class="num" data-testid="prior-with-${v}">${f(a.with.estimate)}</td>
  <td class="num">${t('range', { low: f(a.with.ci95[0]), high: f(a.with.ci95[1]) })}</td>
  <td class="num" data-testid="prior-moved-${v}">${f(a.moved)}</td></tr>`,
  );
  const table =
    rows.length > 0
      ? html`<table data-testid="prior-table"><thead><tr><th>${t('col.variant')}</th><th>${t('evidence.liftAlone')}</th><th>${t('evidence.liftWithPrior')}</th><th>${t('evidence.intervalWithPrior')}</th><th>${t('evidence.movedBy')}</th></tr></thead><tbody>${rows}</tbody></table>`
      : html``;
  return html`<section class="prior" data-testid="prior-section" data-used="${String(prior.used)}"><h2>${title}</h2>
<p data-testid="prior-note">${priorNote(prior, i)}</p>
${stated}${table}${sourcesList(prior, i)}
<p class="muted">${t('evidence.priorFooter')}</p></section>`;
}
