/**
 * The languages Nudgelab speaks and how a request picks one: an explicit `lang` first, then the
 * reader's saved choice, then the browser's Accept-Language; anything else is English.
 */
export const LANGUAGES = ['en', 'pt', 'ru', 'uk', 'ro'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Each language named in itself, as a picker shows it. */
export const LANGUAGE_NAMES: Readonly<Record<Lang, string>> = {
  en: 'English',
  pt: 'Português',
  ru: 'Русский',
  uk: 'Українська',
  ro: 'Română',
};

/** A language tag as a `lang` parameter or a cookie may carry it: `ru`, `pt-BR`, `zh-Hant-TW`. */
export const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

/** The language of a tag (`pt-BR` -> pt, `UK` -> uk), or undefined when it is not one of ours. */
export function languageOf(tag: string | undefined | null): Lang | undefined {
  if (!tag || !LANGUAGE_TAG.test(tag)) return undefined;
  const primary = tag.split('-')[0]?.toLowerCase();
  return (LANGUAGES as readonly string[]).includes(primary ?? '') ? (primary as Lang) : undefined;
}

/**
 * The best of our languages for an Accept-Language header, by its q-values (RFC 9110); ties keep
 * the header's order. Undefined when it names none of them.
 */
export function fromAcceptLanguage(header: string | undefined): Lang | undefined {
  if (!header) return undefined;
  const ranked = header
    .slice(0, 1000)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { lang: languageOf(tag.trim()), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((x) => x.lang !== undefined && x.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranked[0]?.lang;
}

export interface LanguageSources {
  /** The `lang` query parameter. */
  query?: string | undefined;
  /** The dashboard's saved choice (a cookie). */
  saved?: string | undefined;
  acceptLanguage?: string | undefined;
}

/** The language a request asks for; English when nothing it says is one of ours. */
export function pickLanguage(s: LanguageSources): Lang {
  return languageOf(s.query) ?? languageOf(s.saved) ?? fromAcceptLanguage(s.acceptLanguage) ?? 'en';
}
