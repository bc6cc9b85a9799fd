import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { ENGLISH_AREAS } from '../../../src/i18n/catalogues.js';
import { APP_CATALOGUES, i18nFor, kindName, LANGUAGES } from '../../../src/i18n/index.js';
import { metricKinds } from '../../../src/metrics/registry.js';
import { ENGINE_CATALOGUES } from '../../../src/stats/index.js';

type Ast = ReturnType<IntlMessageFormat['getAst']>;

/** Every argument a message uses, plural and select selectors included, found in its parsed form. */
function argumentsOf(ast: Ast, into = new Set<string>()): Set<string> {
  for (const el of ast) {
    // Literal text (type 0) also carries a string value; `#` carries none.
    if (el.type !== 0 && 'value' in el && typeof el.value === 'string') into.add(el.value);
    if ('options' in el && el.options) {
      for (const option of Object.values(el.options) as { value: Ast }[]) argumentsOf(option.value, into);
    }
  }
  return into;
}

const sets = [
  {
    name: 'the app (src/i18n/locales)',
    catalogues: APP_CATALOGUES as Record<string, Record<string, string>>,
  },
  {
    name: 'the engine (src/stats/locales)',
    catalogues: ENGINE_CATALOGUES as Record<string, Record<string, string>>,
  },
];

describe.each(sets)('the message catalogues of $name', ({ catalogues }) => {
  const english = catalogues.en!;

  it('when a language is loaded, then it has exactly the English keys', () => {
    for (const lang of LANGUAGES) {
      expect(Object.keys(catalogues[lang] ?? {}).sort(), lang).toEqual(Object.keys(english).sort());
    }
  });

  it('when a message is parsed, then it is valid ICU and uses the same placeholders as the English one', () => {
    let checked = 0;
    for (const [key, source] of Object.entries(english)) {
      const expected = [...argumentsOf(new IntlMessageFormat(source, 'en').getAst())].sort();
      for (const lang of LANGUAGES) {
        const message = catalogues[lang]?.[key];
        expect(message, `${lang} ${key}`).toBeTypeOf('string');
        const args = [...argumentsOf(new IntlMessageFormat(message!, lang).getAst())].sort();
        expect(args, `${lang} ${key}`).toEqual(expected);
        checked += 1;
      }
    }
    expect(checked).toBe(Object.keys(english).length * LANGUAGES.length);
  });

  it('when a translation is read, then it is not the English text left in place, names and codes aside', () => {
    // Words that are the same in every language: product terms, abbreviations, units.
    const same = /^[{}\s\d#%:,.+\-–/()A-Z]*$|^\{[a-z]+\}: \{[a-z]+\}$|^(admin|NPS|nps| pts|control)$/;
    for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
      const untranslated = Object.entries(english).filter(
        ([key, text]) => catalogues[lang]?.[key] === text && !same.test(text),
      );
      expect(
        untranslated.map(([k]) => k),
        lang,
      ).toEqual([]);
    }
  });

  it('when a message is put into a page, then it holds no markup of its own', () => {
    for (const lang of LANGUAGES) {
      for (const [key, text] of Object.entries(catalogues[lang] ?? {})) {
        expect(/[<>&]/.test(text), `${lang} ${key}`).toBe(false);
      }
    }
  });
});

describe('the areas of the app catalogue', () => {
  it('when two areas are joined, then no key is defined in more than one of them', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const [area, catalogue] of Object.entries(ENGLISH_AREAS)) {
      for (const key of Object.keys(catalogue)) {
        const before = owner.get(key);
        if (before) clashes.push(`${key} (${before}, ${area})`);
        owner.set(key, area);
      }
    }
    expect(clashes).toEqual([]);
    expect(owner.size).toBe(Object.keys(APP_CATALOGUES.en).length);
  });
});

describe('metric kind names', () => {
  it('when a kind is registered, then every language names it and kindName uses that name', () => {
    for (const kind of metricKinds) {
      for (const lang of LANGUAGES) {
        const name = (APP_CATALOGUES[lang] as Record<string, string>)[`kind.${kind}`];
        expect(name, `${lang} kind.${kind}`).toBeTypeOf('string');
        expect(kindName(i18nFor(lang), kind)).toBe(name);
      }
    }
    expect(kindName(i18nFor('ru'), 'not-a-kind')).toBe('not-a-kind');
  });
});
