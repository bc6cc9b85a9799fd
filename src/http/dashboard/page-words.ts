/**
 * Words the dashboard adds around what the engine wrote: the chart script's own words, and the
 * engine's reasons for a missing result as a reader in another language is shown them.
 */
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';

/** What the chart script writes itself, in the reader's language (English when absent). */
export interface ChartWords {
  locale: string;
  words: { interval: string; mean: string; range: string };
}

export function chartWords(i: I18n | undefined): ChartWords | undefined {
  if (!i || i.lang === 'en') return undefined;
  return {
    locale: i.lang,
    words: {
      interval: i.t('chart.interval'),
      mean: i.t('chart.mean'),
      range: i.t('range', { low: '{low}', high: '{high}' }),
    },
  };
}

/** The engine's reasons for a missing result, as it writes them, to the words a reader is shown. */
const insufficientReasons: Readonly<Record<string, Parameters<I18n['t']>[0]>> = {
  'no users': 'insufficient.noUsers',
  'no responses': 'insufficient.noResponses',
  'the control has no usable data': 'insufficient.controlUnusable',
  'zero variance: every observation is the same, so its spread is unknown': 'insufficient.zeroVariance',
  'variance too small relative to the mean to be resolved': 'insufficient.tinyVariance',
};

/** A reason the engine gave, in the reader's language when it is one we know; else as written. */
export function insufficientReason(reason: string, i: I18n = ENGLISH_I18N): string {
  const key = insufficientReasons[reason];
  if (key) return i.t(key);
  const few = /^fewer than (\d+) observations: the mean's posterior is too wide$/.exec(reason);
  if (few) return i.t('insufficient.fewObservations', { min: Number(few[1]) });
  return i.lang === 'en' ? reason : i.t('insufficient.other');
}
