import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import { channelSchema } from '../../../src/domain/schemas/common.schema.js';
import { nudgeTypes } from '../../../src/domain/schemas/nudge.schema.js';
import type { StoredTemplate } from '../../../src/domain/schemas/template.schema.js';
import { templateView } from '../../../src/domain/templates/template-evidence.js';
import { jsonField } from '../../../src/http/dashboard/form-data.js';
import { intentOf } from '../../../src/http/dashboard/form-rows.js';
import { kindFieldHints } from '../../../src/http/dashboard/metric-fields.js';
import { conditionFromRules } from '../../../src/http/dashboard/targeting-rules.js';
import {
  type CatalogueView,
  gradeReasons,
  templatesBody,
} from '../../../src/http/dashboard/templates.page.js';
import { APP_CATALOGUES, ENGLISH_I18N, i18nFor } from '../../../src/i18n/index.js';
import { readPieces, untranslated } from '../../helpers/page-text.js';
import { buildTemplate } from '../../helpers/programme-fixtures.js';

const template = (evidence: Record<string, unknown> = {}, key = 'plan-reminder') => {
  const base = buildTemplate();
  const stored = { ...base, key, evidence: { ...(base.evidence as object), ...evidence } };
  return templateView(stored as unknown as StoredTemplate);
};
const shown = [
  template(),
  template({ randomized: false, armSizesKnown: false, control: null, treatment: null }, 'b'),
  template({ armSizesKnown: false, replicatedBy: ['other_study_2021'] }, 'c'),
];
const touchpoints = [
  { key: 'home-loan.apply.plan', name: 'Plan', channel: 'web' },
  { key: 'home-loan.apply.branch', name: 'Branch', channel: 'branch' },
] as never;
const views: Record<string, CatalogueView> = {
  'a strategist': { all: shown, shown, filters: { type: 'reminder' }, editing: { csrf: 't', touchpoints } },
  'a viewer': { all: shown, shown: [], filters: {} },
  'a strategist without touchpoints': {
    all: shown,
    shown,
    filters: {},
    editing: { csrf: 't', touchpoints: [] },
  },
};

/** The templates' own texts (names, principles, citations) are the evidence file's and stay English. */
const own = new Set(
  shown.flatMap((t) => [t.name, t.principle, t.description, t.evidence.citation, t.fit.where]),
);
const codes = new Set<string>([...nudgeTypes, ...channelSchema.options, 'apply', 'Plan', 'Branch']);
/** A touchpoint as the create-draft form offers it: its name, key and channel. */
const touchpointOption = /^\w+ \([\w.-]+, [\w-]+\)$/;
const stays = (p: string) => own.has(p) || codes.has(p) || /^[A-D]$/.test(p) || touchpointOption.test(p);

describe.each(['ru', 'uk'] as const)('the template catalogue in %s', (lang) => {
  it.each(Object.keys(views))('when it is drawn for %s, then no English words of its own remain', (who) => {
    const v = views[who]!;
    expect(untranslated(templatesBody(v), templatesBody(v, i18nFor(lang)), stays)).toEqual([]);
  });
});

describe('the template catalogue, word for word', () => {
  it('when it is drawn in Russian, then the evidence summary, the grade and the form are Russian', () => {
    const page = String(templatesBody(views['a strategist']!, i18nFor('ru')));
    expect(page).toContain('Шаблоны на основе опубликованных исследований');
    expect(page).toContain('>Доказательность B</span>');
    expect(page).toContain('>Доказательность D</span>');
    expect(page).toContain('Опубликованный эффект на «Plan completed»: 10,0\u00a0% → 12,0\u00a0%');
    expect(page).toContain('рандомизировано; размеры групп не найдены; повторено (other_study_2021)');
    expect(page).toContain('Branch (home-loan.apply.branch, branch, канал не из исследования)');
    expect(page).toContain('>Создать черновик эксперимента</button>');
  });

  it('when templates are counted, then the count agrees with the number as each language declines it', () => {
    const count = (lang: 'ru' | 'uk' | 'ro' | 'pt' | 'en', n: number, all: number) =>
      readPieces(
        templatesBody(
          { all: Array(all).fill(shown[0]), shown: Array(n).fill(shown[0]), filters: {} },
          i18nFor(lang),
        ),
      ).find((p) => p.startsWith(`${n} `));
    expect(count('ru', 1, 1)).toBe('1 из 1 шаблона');
    expect(count('ru', 2, 3)).toBe('2 из 3 шаблонов');
    expect(count('ru', 5, 21)).toBe('5 из 21 шаблона');
    expect(count('uk', 2, 5)).toBe('2 з 5 шаблонів');
    expect(count('ro', 1, 1)).toBe('1 din 1 șablon');
    expect(count('ro', 2, 3)).toBe('2 din 3 șabloane');
    expect(count('ro', 2, 20)).toBe('2 din 20 de șabloane');
    expect(count('pt', 1, 2)).toBe('1 de 2 modelos');
    expect(count('en', 1, 2)).toBe('1 of 2 templates');
  });

  it("when a grade's reasons are worded in English, then they are the reasons the grading gave", () => {
    for (const t of shown) expect(gradeReasons(t, ENGLISH_I18N)).toEqual(t.grade.reasons);
  });
});

describe("the form's own validation reasons", () => {
  const reasonOf = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      if (err instanceof DomainError) {
        const fields = (err.details as { fields: { reason: string }[] }).fields;
        return `${err.message} ${fields.map((x) => x.reason).join('; ')}`;
      }
      throw err;
    }
    throw new Error('no refusal');
  };
  const ru = i18nFor('ru');

  it('when a targeting row is refused, then the reason is in the reader language', () => {
    expect(reasonOf(() => conditionFromRules([{ value: 'gold' }], ru))).toBe(
      'В форме есть недопустимое поле. укажите атрибут, который проверяет это правило',
    );
    expect(
      reasonOf(() =>
        conditionFromRules(
          [
            { attribute: 'plan', value: '1' },
            { attribute: 'plan', value: '2' },
          ],
          ru,
        ),
      ),
    ).toContain('для plan уже есть правило $eq');
    expect(reasonOf(() => conditionFromRules([{ attribute: 'plan', operator: '$gt' }]))).toContain(
      'give the value to compare with',
    );
  });

  it('when the JSON field or the intent cannot be read, then the reason is in the reader language', () => {
    expect(reasonOf(() => jsonField('{', 'targeting', ru))).toContain(
      'должен быть объект JSON, например {"country": {"$in": ["NL", "BE"]}}',
    );
    expect(reasonOf(() => intentOf('journey', { intent: 'zap' }, i18nFor('uk')))).toContain(
      'Ця форма не вміє виконувати «zap»',
    );
  });

  it("when a metric kind's field has a hint, then the catalogue words it and its English is the schema's", () => {
    expect(kindFieldHints.size).toBeGreaterThan(0);
    for (const [path, description] of kindFieldHints) {
      const key = `workspace.metricHint.${path}`;
      expect(APP_CATALOGUES.en[key], key).toBe(description);
      expect(APP_CATALOGUES.ru[key], key).not.toBe(description);
    }
  });
});
