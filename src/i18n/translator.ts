/**
 * The app's words (the dashboard, the PDF, alerts) in each language, from the catalogues in
 * `locales/<lang>.json`, English the source. The engine's own words (the decision sentence,
 * units, figures) stay in `src/stats/locales`; `wording` here is the engine's wording of the same
 * language, so one object carries a reader's language everywhere.
 */
import { catalogueTranslator, type Translate, type Wording, wordingFor } from '../stats/index.js';
import { APP_CATALOGUES, en } from './catalogues.js';
import type { Lang } from './languages.js';

export { APP_CATALOGUES };
export type MessageKey = keyof typeof en;

export interface I18n {
  lang: Lang;
  t: Translate<MessageKey>;
  /** The engine's figures and sentences in the same language. */
  wording: Wording;
  /** A stored time for people: "2026-12-01 16:30 UTC" in English, Intl's medium date elsewhere. */
  dateTime(iso: string | null | undefined): string;
}

function makeI18n(lang: Lang): I18n {
  const t = catalogueTranslator<MessageKey>(lang, APP_CATALOGUES[lang], en);
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  return {
    lang,
    t,
    wording: wordingFor(lang),
    dateTime(iso) {
      if (!iso) return '–';
      // English keeps the sortable form the dashboard has always shown.
      if (lang === 'en') return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : `${dates.format(d)} UTC`;
    },
  };
}

const cache = new Map<Lang, I18n>();

export function i18nFor(lang: Lang): I18n {
  let i = cache.get(lang);
  if (!i) {
    i = makeI18n(lang);
    cache.set(lang, i);
  }
  return i;
}

export const ENGLISH_I18N: I18n = i18nFor('en');
