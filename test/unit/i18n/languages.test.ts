import { describe, expect, it } from 'vitest';
import { fromAcceptLanguage, languageOf, pickLanguage } from '../../../src/i18n/index.js';

describe('choosing the reader language', () => {
  it('when Accept-Language lists several languages, then the best-weighted one Nudgelab speaks wins', () => {
    expect(fromAcceptLanguage('uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7')).toBe('uk');
    expect(fromAcceptLanguage('de-DE,de;q=0.9,pt;q=0.5,ro;q=0.4')).toBe('pt');
    expect(fromAcceptLanguage('en;q=0.2, ro-RO;q=0.8')).toBe('ro');
    expect(fromAcceptLanguage('ru;q=0, uk;q=0.1')).toBe('uk');
    expect(fromAcceptLanguage('*')).toBeUndefined();
    expect(fromAcceptLanguage('de, fr;q=0.9')).toBeUndefined();
    expect(fromAcceptLanguage(undefined)).toBeUndefined();
  });

  it('when a tag has a region or capitals, then it counts as its language; anything else is not one of ours', () => {
    expect(languageOf('pt-BR')).toBe('pt');
    expect(languageOf('RU')).toBe('ru');
    expect(languageOf('uk-UA')).toBe('uk');
    expect(languageOf('de')).toBeUndefined();
    expect(languageOf('../ru')).toBeUndefined();
    expect(languageOf('')).toBeUndefined();
  });

  it('when several sources say something, then lang beats the saved choice, which beats the header', () => {
    expect(pickLanguage({ query: 'ru', saved: 'uk', acceptLanguage: 'pt' })).toBe('ru');
    expect(pickLanguage({ saved: 'uk', acceptLanguage: 'pt' })).toBe('uk');
    expect(pickLanguage({ acceptLanguage: 'pt-PT' })).toBe('pt');
    // An unknown language falls through to the next source, and to English at the end.
    expect(pickLanguage({ query: 'de', saved: 'ro' })).toBe('ro');
    expect(pickLanguage({ query: 'de', acceptLanguage: 'fr' })).toBe('en');
    expect(pickLanguage({})).toBe('en');
  });
});
