/**
 * The app's catalogues, one set of files per area of the dashboard (`locales/<lang>.json` for the
 * common words, `locales/<area>/<lang>.json` for an area's own), joined into one catalogue per
 * language. Keys are unique across areas: a test checks that no area redefines another's key.
 */
import type { Lang } from './languages.js';
import coreEn from './locales/en.json' with { type: 'json' };
import metricsEn from './locales/metrics/en.json' with { type: 'json' };
import metricsPt from './locales/metrics/pt.json' with { type: 'json' };
import metricsRo from './locales/metrics/ro.json' with { type: 'json' };
import metricsRu from './locales/metrics/ru.json' with { type: 'json' };
import metricsUk from './locales/metrics/uk.json' with { type: 'json' };
import programmeEn from './locales/programme/en.json' with { type: 'json' };
import programmePt from './locales/programme/pt.json' with { type: 'json' };
import programmeRo from './locales/programme/ro.json' with { type: 'json' };
import programmeRu from './locales/programme/ru.json' with { type: 'json' };
import programmeUk from './locales/programme/uk.json' with { type: 'json' };
import corePt from './locales/pt.json' with { type: 'json' };
import coreRo from './locales/ro.json' with { type: 'json' };
import coreRu from './locales/ru.json' with { type: 'json' };
import coreUk from './locales/uk.json' with { type: 'json' };
import workspaceEn from './locales/workspace/en.json' with { type: 'json' };
import workspacePt from './locales/workspace/pt.json' with { type: 'json' };
import workspaceRo from './locales/workspace/ro.json' with { type: 'json' };
import workspaceRu from './locales/workspace/ru.json' with { type: 'json' };
import workspaceUk from './locales/workspace/uk.json' with { type: 'json' };

/** Each area's English catalogue, by area, for the test that keys do not collide. */
export const ENGLISH_AREAS = {
  core: coreEn,
  workspace: workspaceEn,
  programme: programmeEn,
  metrics: metricsEn,
} as const;

export const en = { ...coreEn, ...workspaceEn, ...programmeEn, ...metricsEn };

export const APP_CATALOGUES: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  en,
  pt: { ...corePt, ...workspacePt, ...programmePt, ...metricsPt },
  ru: { ...coreRu, ...workspaceRu, ...programmeRu, ...metricsRu },
  uk: { ...coreUk, ...workspaceUk, ...programmeUk, ...metricsUk },
  ro: { ...coreRo, ...workspaceRo, ...programmeRo, ...metricsRo },
};
