/**
 * The engine's own words (the decision sentence, its reasons, units and figures) in every
 * language it has a catalogue for. The engine stays pure: callers pass a language code in, the
 * catalogues are data files beside this one (`locales/<lang>.json`, English the source), and
 * nothing of the app is imported. Messages are ICU MessageFormat (intl-messageformat), so each
 * language's plural rules come from CLDR through Intl.PluralRules.
 *
 * Figures are rounded once, the way `toFixed` rounds, and only then written in the language's
 * digits and separators with Intl.NumberFormat: a chance reads 97.3% in English and 97,3 % in
 * Russian, never 97.3 in one and 97.4 in the other.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import en from './locales/en.json' with { type: 'json' };
import pt from './locales/pt.json' with { type: 'json' };
import ro from './locales/ro.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };
import uk from './locales/uk.json' with { type: 'json' };

export type Catalogue = Readonly<Record<string, string>>;
export type EngineMessageKey = keyof typeof en;
export type MessageParams = Readonly<Record<string, string | number>>;

/** The engine's catalogues; every language has every English key (a unit test checks it). */
export const ENGINE_CATALOGUES: Readonly<Record<string, Catalogue>> = { en, pt, ru, uk, ro };

/** Translates a key of one catalogue; a key the language lacks is said in English. */
export type Translate<K extends string = string> = (key: K, params?: MessageParams) => string;

/**
 * One compiled message per key, made on first use. Params that are numbers are formatted by the
 * message itself (`{n, number}`, `#` in a plural); strings go in as they are.
 */
export function catalogueTranslator<K extends string>(
  locale: string,
  messages: Catalogue,
  fallback: Catalogue,
): Translate<K> {
  const compiled = new Map<string, IntlMessageFormat>();
  return (key, params) => {
    let message = compiled.get(key);
    if (!message) {
      const source = messages[key] ?? fallback[key];
      if (source === undefined) return key;
      message = new IntlMessageFormat(source, locale);
      compiled.set(key, message);
    }
    return String(message.format(params as Record<string, string | number> | undefined));
  };
}

export interface Wording {
  /** The language code the words are in (`en`, `ru`...), also the locale of Intl formatting. */
  lang: string;
  t: Translate<EngineMessageKey>;
  /** A decimal written by `toFixed(digits)` (its rounding), in the language's digits: "0.25", "0,25". */
  fixed(x: number, digits: number): string;
  /** A whole count with the language's grouping: "12,050", "12 050", "12.050". */
  count(n: number): string;
  /** A value already in percent (97.34) with `digits` decimals: "97.3%", "97,3 %". */
  percent(hundredths: number, digits: number): string;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string, style: 'decimal' | 'percent', digits: number, group: boolean) {
  const id = `${locale}|${style}|${digits}|${group}`;
  let f = numberFormats.get(id);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      useGrouping: group,
    });
    numberFormats.set(id, f);
  }
  return f;
}

function makeWording(lang: string): Wording {
  const messages = ENGINE_CATALOGUES[lang] ?? en;
  const t = catalogueTranslator<EngineMessageKey>(lang, messages, en);
  return {
    lang,
    t,
    fixed: (x, digits) => numberFormat(lang, 'decimal', digits, false).format(Number(x.toFixed(digits))),
    count: (n) => numberFormat(lang, 'decimal', 0, true).format(n),
    percent: (hundredths, digits) =>
      numberFormat(lang, 'percent', digits, false).format(Number(hundredths.toFixed(digits)) / 100),
  };
}

const wordings = new Map<string, Wording>();

/** The engine's wording in a language it has a catalogue for; any other code gets English. */
export function wordingFor(lang: string | undefined): Wording {
  const code = lang && ENGINE_CATALOGUES[lang] ? lang : 'en';
  let w = wordings.get(code);
  if (!w) {
    w = makeWording(code);
    wordings.set(code, w);
  }
  return w;
}

/** English, what the engine writes when no language is asked for. */
export const ENGLISH: Wording = wordingFor('en');
