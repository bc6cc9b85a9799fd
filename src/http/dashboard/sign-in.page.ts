import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';

export interface SignInView {
  /** Value of the double-submit token, also set as a cookie. */
  formToken: string;
  next: string;
  error?: string;
  notice?: string;
  i18n?: I18n;
}

export function signInPage(view: SignInView): SafeHtml {
  const i18n = view.i18n ?? ENGLISH_I18N;
  const { t } = i18n;
  const body = html`<section class="sign-in">
  <h1>${t('signIn.title')}</h1>
  <p>${t('signIn.intro')}</p>
  ${view.error ? html`<p class="alert error" role="alert" data-testid="sign-in-error">${view.error}</p>` : ''}
  ${view.notice ? html`<p class="alert" data-testid="sign-in-notice">${view.notice}</p>` : ''}
  <form method="post" action="/dashboard/sign-in" data-testid="sign-in-form">
    <input type="hidden" name="csrf" value="${view.formToken}">
    <input type="hidden" name="next" value="${view.next}">
    <label for="api-key">${t('signIn.apiKey')}</label>
    <input id="api-key" name="apiKey" type="password" autocomplete="off" required spellcheck="false"
      data-testid="api-key-input">
    <button type="submit" data-testid="sign-in-submit">${t('signIn.submit')}</button>
  </form>
</section>`;
  const next =
    view.next === '/dashboard'
      ? '/dashboard/sign-in'
      : `/dashboard/sign-in?next=${encodeURIComponent(view.next)}`;
  return layout({ title: t('signIn.title'), body, i18n, here: next });
}
