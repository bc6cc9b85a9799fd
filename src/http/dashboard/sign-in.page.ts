import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';

export interface SignInView {
  /** Value of the double-submit token, also set as a cookie. */
  formToken: string;
  next: string;
  error?: string;
  notice?: string;
}

export function signInPage(view: SignInView): SafeHtml {
  const body = html`<section class="sign-in">
  <h1>Sign in</h1>
  <p>Paste a viewer, strategist or admin API key. App keys are for services and cannot open the dashboard.</p>
  ${view.error ? html`<p class="alert error" role="alert" data-testid="sign-in-error">${view.error}</p>` : ''}
  ${view.notice ? html`<p class="alert" data-testid="sign-in-notice">${view.notice}</p>` : ''}
  <form method="post" action="/dashboard/sign-in" data-testid="sign-in-form">
    <input type="hidden" name="csrf" value="${view.formToken}">
    <input type="hidden" name="next" value="${view.next}">
    <label for="api-key">API key</label>
    <input id="api-key" name="apiKey" type="password" autocomplete="off" required spellcheck="false"
      data-testid="api-key-input">
    <button type="submit" data-testid="sign-in-submit">Sign in</button>
  </form>
</section>`;
  return layout({ title: 'Sign in', body });
}
