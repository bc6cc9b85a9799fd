import { ENGLISH_I18N, type I18n, LANGUAGE_NAMES, LANGUAGES } from '../../i18n/index.js';
import { html, type SafeHtml } from './html.js';
import type { Session } from './session.js';

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  /** Signed-in pages show the navigation and a sign-out form carrying the CSRF token. */
  session?: { session: Session; csrf: string };
  active?: 'journeys' | 'portfolio' | 'experiment' | 'workspace' | 'templates';
  /** Pages with charts load Chart.js and the small script that draws them. */
  charts?: boolean;
  /** Rendering for the PDF printer: no navigation or links. */
  printing?: boolean;
  /** The reader's language; English when absent. */
  i18n?: I18n;
  /** The page's own path (and query), where the language picker comes back to. */
  here?: string;
}

/**
 * Scripts and styles come only from this origin and nothing is inline, so the policy needs no
 * 'unsafe-inline': chart data travels in `application/json` blocks, which browsers never execute.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * One plain link per language: following it saves the choice for the browser session and comes
 * back to this page, so the picker works without JavaScript (see the /dashboard/language route).
 */
export function languagePicker(i: I18n, here = '/dashboard'): SafeHtml {
  const next = encodeURIComponent(here);
  return html`<span class="languages" role="group" aria-label="${i.t('nav.language')}" data-testid="language-picker">${LANGUAGES.map(
    (l) =>
      html`<a href="/dashboard/language?set=${l}&amp;next=${next}" hreflang="${l}" lang="${l}" class="${l === i.lang ? 'on' : ''}" data-testid="language-${l}"${l === i.lang ? html` aria-current="true"` : ''}>${LANGUAGE_NAMES[l]}</a>`,
  )}</span>`;
}

export function layout(opts: LayoutOptions): SafeHtml {
  const i = opts.i18n ?? ENGLISH_I18N;
  const { t } = i;
  const nav = opts.session
    ? html`<nav class="top">
  <a class="brand" href="/dashboard">Nudgelab</a>
  <a href="/dashboard" class="${opts.active === 'journeys' ? 'on' : ''}">${t('nav.journeys')}</a>
  <a href="/dashboard/portfolio" class="${opts.active === 'portfolio' ? 'on' : ''}">${t('nav.portfolio')}</a>
  <a href="/dashboard/templates" class="${opts.active === 'templates' ? 'on' : ''}" data-testid="nav-templates">${t('nav.templates')}</a>
  <a href="/dashboard/workspace" class="${opts.active === 'workspace' ? 'on' : ''}" data-testid="nav-workspace">${t('nav.workspace')}</a>
  <span class="who" data-testid="signed-in-as">${opts.session.session.name} (${t(`role.${opts.session.session.role}`)})</span>
  ${languagePicker(i, opts.here)}
  <form method="post" action="/dashboard/sign-out" class="inline">
    <input type="hidden" name="csrf" value="${opts.session.csrf}">
    <button type="submit" class="link">${t('nav.signOut')}</button>
  </form>
</nav>`
    : html`<nav class="top"><span class="brand">Nudgelab</span> ${languagePicker(i, opts.here)}</nav>`;
  const scripts = opts.charts
    ? html`<script src="/dashboard/assets/chart.js"></script>
<script src="/dashboard/assets/dashboard.js"></script>`
    : html`<script src="/dashboard/assets/dashboard.js"></script>`;
  return html`<!doctype html>
<html lang="${i.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Nudgelab</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
</head>
<body class="${opts.printing ? 'print' : ''}">
${opts.printing ? '' : nav}
<main>
${opts.body}
</main>
${scripts}
</body>
</html>`;
}
