export { kindName } from './kind-names.js';
export {
  fromAcceptLanguage,
  LANGUAGE_NAMES,
  LANGUAGE_TAG,
  LANGUAGES,
  type Lang,
  type LanguageSources,
  languageOf,
  pickLanguage,
} from './languages.js';
export { APP_CATALOGUES, ENGLISH_I18N, type I18n, i18nFor, type MessageKey } from './translator.js';
