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

export function layout(opts: LayoutOptions): SafeHtml {
  const nav = opts.session
    ? html`<nav class="top">
  <a class="brand" href="/dashboard">Nudgelab</a>
  <a href="/dashboard" class="${opts.active === 'journeys' ? 'on' : ''}">Journeys</a>
  <a href="/dashboard/portfolio" class="${opts.active === 'portfolio' ? 'on' : ''}">Portfolio</a>
  <a href="/dashboard/templates" class="${opts.active === 'templates' ? 'on' : ''}" data-testid="nav-templates">Templates</a>
  <a href="/dashboard/workspace" class="${opts.active === 'workspace' ? 'on' : ''}" data-testid="nav-workspace">Workspace</a>
  <span class="who" data-testid="signed-in-as">${opts.session.session.name} (${opts.session.session.role})</span>
  <form method="post" action="/dashboard/sign-out" class="inline">
    <input type="hidden" name="csrf" value="${opts.session.csrf}">
    <button type="submit" class="link">Sign out</button>
  </form>
</nav>`
    : html`<nav class="top"><span class="brand">Nudgelab</span></nav>`;
  const scripts = opts.charts
    ? html`<script src="/dashboard/assets/chart.js"></script>
<script src="/dashboard/assets/dashboard.js"></script>`
    : html`<script src="/dashboard/assets/dashboard.js"></script>`;
  return html`<!doctype html>
<html lang="en">
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
