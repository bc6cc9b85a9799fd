/**
 * Which language a request is answered in: its `lang` query parameter, then the dashboard's saved
 * choice (the `nl_lang` cookie), then Accept-Language; English for anything else.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { type I18n, i18nFor, LANGUAGE_TAG, LANGUAGES, type Lang, pickLanguage } from '../i18n/index.js';
import { readCookie } from './dashboard/session.js';

export const LANG_COOKIE = 'nl_lang';

/** The `lang` query parameter: any language tag; one Nudgelab does not speak falls back to English. */
export const langParam = z
  .string()
  .max(35)
  .regex(LANGUAGE_TAG, 'must be a language tag such as ru or pt-BR')
  .optional()
  .describe(
    `language of the sentences: ${LANGUAGES.join(', ')} (a regional tag such as pt-BR counts as its language; others fall back to English). Default: the Accept-Language header, else English.`,
  );

/** A strict query object that takes only `lang`, for routes that had no query before. */
export const langQuery = z.object({ lang: langParam });

export function requestLanguage(req: Request, lang?: string): Lang {
  const header = req.headers['accept-language'];
  return pickLanguage({
    query: lang,
    saved: readCookie(req, LANG_COOKIE),
    acceptLanguage: typeof header === 'string' ? header : undefined,
  });
}

export function requestI18n(req: Request, lang?: string): I18n {
  return i18nFor(requestLanguage(req, lang));
}

/** The `lang` of a request whose query was not parsed for it (error pages): only a valid tag counts. */
export function rawLang(req: Request): string | undefined {
  const q = req.query?.lang;
  return typeof q === 'string' && LANGUAGE_TAG.test(q) && q.length <= 35 ? q : undefined;
}
