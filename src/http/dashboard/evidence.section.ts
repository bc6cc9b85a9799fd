import { effectText, pText, responseBiasSentence, sdText } from '../../domain/evidence/evidence-text.js';
import type { Evidence, PriorEvidence, ResponseBias } from '../../domain/schemas/evidence.schema.js';
import { chance, count } from './format.js';
import { html, type SafeHtml } from './html.js';

type Names = (key: string) => string;

function responseBlock(key: string, r: ResponseBias, name: Names): SafeHtml {
  const status = r.flagged
    ? responseBiasSentence(r, name)
    : `Answered alike across arms (chi-square ${r.chiSquare.toFixed(2)}, p = ${pText(r.pValue)}).`;
  return html`<div class="response-block"><h3>${r.metric}</h3>
<p class="srm ${r.flagged ? 'eff-loss' : 'eff-win'}" data-testid="response-bias-${key}" data-flagged="${String(r.flagged)}">${status}</p>
<table><thead><tr><th>Variant</th><th>Exposed</th><th>Answered</th><th>Share who answered</th></tr></thead><tbody>
${Object.entries(r.arms).map(
  ([v, a]) => html`<tr><th scope="row">${name(v)}</th><td class="num">${count(a.exposed)}</td>
  <td class="num" data-testid="answered-${key}-${v}">${count(a.answered)}</td>
  <td class="num" data-testid="answered-share-${key}-${v}">${chance(a.share)}</td></tr>`,
)}
</tbody></table></div>`;
}

/** Survey metrics: who answered, per arm, and whether that share differs between arms. */
export function responseSection(evidence: Evidence | undefined, name: Names): SafeHtml {
  const all = Object.entries(evidence?.responseBias ?? {});
  if (all.length === 0) return html``;
  return html`<section class="response" data-testid="response-section"><h2>Survey response</h2>
<p class="muted">A nudge can change who answers a survey, not only how satisfied people are. Each survey metric's share of exposed customers who answered is compared across arms (chi-square test, flagged below p = ${String(all[0]![1].threshold)}, the traffic check's threshold).</p>
<div class="two">${all.map(([key, r]) => responseBlock(key, r, name))}</div></section>`;
}

function sourcesList(prior: PriorEvidence): SafeHtml {
  if (prior.from !== 'past-nudges' || prior.sources.length === 0) return html``;
  return html`<details data-testid="prior-sources"><summary>${prior.sources.length} concluded ${prior.nudgeType ?? ''} experiments</summary><ul>
${prior.sources.map(
  (s) =>
    html`<li><a href="/dashboard/experiments/${encodeURIComponent(s.experiment)}">${s.experiment}</a> (${s.variant}, ${s.metric}): ${effectText(s.estimate, prior.scale)} (sd ${sdText(s.sd, prior.scale)})</li>`,
)}
</ul></details>`;
}

/** The prior on the primary metric: where it came from, and each variant's lift with and without it. */
export function priorSection(evidence: Evidence | undefined, name: Names): SafeHtml {
  const prior = evidence?.prior;
  if (!prior) return html``;
  const f = (x: number) => effectText(x, prior.scale);
  const title = prior.from === 'template' ? 'Prior from a template' : 'Prior from past nudges';
  const stated = prior.prior
    ? html`<p data-testid="prior-figures">Prior on ${prior.metric}: ${f(prior.prior.estimate)} (sd ${sdText(prior.prior.sd, prior.scale)}; 95% interval ${f(prior.prior.ci95[0])} to ${f(prior.prior.ci95[1])}).</p>`
    : html``;
  const rows = Object.entries(prior.variants).map(
    ([v, a]) => html`<tr><th scope="row">${name(v)}</th>
  <td class="num" data-testid="prior-without-${v}">${f(a.without.estimate)}</td>
  <td class="num" data-testid="prior-with-${v}">${f(a.with.estimate)}</td>
  <td class="num">${f(a.with.ci95[0])} to ${f(a.with.ci95[1])}</td>
  <td class="num" data-testid="prior-moved-${v}">${f(a.moved)}</td></tr>`,
  );
  const table =
    rows.length > 0
      ? html`<table data-testid="prior-table"><thead><tr><th>Variant</th><th>Lift, this experiment alone</th><th>Lift with the prior</th><th>95% credible interval with the prior</th><th>Moved by</th></tr></thead><tbody>${rows}</tbody></table>`
      : html``;
  return html`<section class="prior" data-testid="prior-section" data-used="${String(prior.used)}"><h2>${title}</h2>
<p data-testid="prior-note">${prior.note}</p>
${stated}${table}${sourcesList(prior)}
<p class="muted">The decision above is taken on this experiment's own data, whose error rates were calibrated with flat priors; the lift with the prior is the better forecast of what shipping will deliver.</p></section>`;
}
