import { describe, expect, it } from 'vitest';
import {
  type AnalyzeInputRaw,
  analyze,
  basisText,
  ENGLISH,
  type Readout,
  reasonText,
  summarizeReadout,
  wordingFor,
} from '../../../src/stats/index.js';
import { dailyInputs, paymentReminderInput } from '../../fixtures/dashboard/readouts.fixture.js';

/** Card activation with a loss frame against a gain frame, and a CSAT guardrail; names in `lang`. */
function activation(opts: {
  names: { control: string; variant: string; primary: string; csat: string };
  conversions: [number, number];
  n?: number;
  csat?: [number, number];
  exposures?: [number, number];
}): AnalyzeInputRaw {
  const n = opts.n ?? 400;
  const [cc, vc] = opts.conversions;
  const [cm, vm] = opts.csat ?? [4.2, 4.15];
  return {
    control: 'gain',
    variants: [
      { key: 'gain', name: opts.names.control, weight: 0.5, exposures: opts.exposures?.[0] ?? n },
      { key: 'loss', name: opts.names.variant, weight: 0.5, exposures: opts.exposures?.[1] ?? n },
    ],
    metrics: [
      {
        key: 'activated',
        name: opts.names.primary,
        kind: 'conversion',
        role: 'primary',
        data: { gain: { n, conversions: cc }, loss: { n, conversions: vc } },
      },
      {
        key: 'csat',
        name: opts.names.csat,
        kind: 'mean',
        role: 'guardrail',
        margin: 0.1,
        data: { gain: { n: n / 4, mean: cm, variance: 0.8 }, loss: { n: n / 4, mean: vm, variance: 0.8 } },
      },
    ],
  } as AnalyzeInputRaw;
}

const latinNames = { control: 'Gain frame', variant: 'Loss frame', primary: 'Card activation', csat: 'CSAT' };
const cyrillicNames = {
  control: 'Выгода',
  variant: 'Потеря',
  primary: 'Активация карты',
  csat: 'Оценка активации',
};

/** Readouts of every kind of decision the summary words differently. */
function variedReadouts(): Readout[] {
  const inputs: AnalyzeInputRaw[] = [
    ...dailyInputs(paymentReminderInput, 5),
    activation({ names: latinNames, conversions: [40, 62] }),
    activation({ names: latinNames, conversions: [40, 41], n: 4000 }),
    activation({ names: latinNames, conversions: [400, 520], n: 4000, csat: [4.4, 3.6] }),
    activation({ names: latinNames, conversions: [40, 62], exposures: [400, 700] }),
    activation({ names: latinNames, conversions: [4, 3], n: 20 }),
    activation({ names: latinNames, conversions: [4000, 3000], n: 40000, csat: [4.2, 4.2] }),
    activation({ names: latinNames, conversions: [400, 520], n: 4000, csat: [4.4, 4.2] }),
  ];
  return inputs.map((i) => analyze(i));
}

describe('a stored readout worded again', () => {
  it('when it is worded in English from what the readout keeps, then it is the engine sentence byte for byte', () => {
    const readouts = variedReadouts();
    const actions = new Set(readouts.map((r) => r.decision.action));
    // The set covers shipping, holding back with reasons, stopping for harm and for the split.
    expect([...actions].sort()).toEqual([
      'keep-control',
      'keep-running',
      'ship',
      'stop-guardrail',
      'stop-srm',
    ]);
    // And a guardrail holding the variant back, which the sentence names.
    expect(readouts.some((r) => (r.decision.basis?.blockedBy.length ?? 0) > 0)).toBe(true);
    for (const r of readouts) {
      const control = Object.keys(r.variantNames ?? {})[0]!;
      expect(summarizeReadout(r, control, ENGLISH)).toBe(r.decision.summary);
    }
  });

  it('when a readout predates the kept basis, then there is nothing to word again', () => {
    const r = analyze(activation({ names: latinNames, conversions: [40, 62] }));
    const { basis: _basis, ...decision } = r.decision;
    expect(summarizeReadout({ ...r, decision }, 'gain', wordingFor('ru'))).toBeUndefined();
  });
});

describe('the decision sentence in Russian', () => {
  const readout = analyze(activation({ names: cyrillicNames, conversions: [40, 62] }));
  const ru = summarizeReadout(readout, 'gain', wordingFor('ru'))!;

  it('when the experiment is still running, then the sentence is Russian from the first word to the last', () => {
    expect(readout.decision.action).toBe('keep-running');
    // The names are Russian too, so not one Latin letter may remain.
    expect(ru).not.toMatch(/[A-Za-z]/);
    expect(ru).toMatch(/^Потеря: вероятность [\d,]+\u00a0%, что этот вариант повышает «Активация карты», /);
    expect(ru).toContain('то есть');
    expect(ru).toContain('признаков вреда для метрики «Оценка активации» нет');
    expect(ru).toContain('Продолжайте эксперимент: ');
    expect(ru).toContain('мы смотрим на результаты ежедневно, поэтому нужен более сильный результат');
  });

  it('when a figure is written, then it is the English figure with a decimal comma', () => {
    const en = readout.decision.summary;
    const lift = /that is \+(\d+)\.(\d+) percentage points/.exec(en);
    expect(lift).not.toBeNull();
    expect(ru).toContain(`то есть +${lift![1]},${lift![2]} п.\u00a0п.`);
  });

  it('when the variant is shipped, then it says so in Russian', () => {
    const r = analyze(activation({ names: cyrillicNames, conversions: [400, 560], n: 4000 }));
    expect(r.decision.action).toBe('ship');
    expect(summarizeReadout(r, 'gain', wordingFor('ru'))).toMatch(/ Внедряйте\.$/);
  });
});

describe('the decision sentence in Portuguese', () => {
  it('when figures with decimals are written, then each uses a comma as the decimal separator', () => {
    const r = analyze(activation({ names: latinNames, conversions: [40, 62] }));
    const pt = summarizeReadout(r, 'gain', wordingFor('pt'))!;
    expect(pt).toContain('de chance de aumentar Card activation');
    expect(pt).toContain('Continue o experimento: ');
    expect(pt).toMatch(/\d,\d/);
    expect(pt).not.toMatch(/\d\.\d/);
    // Every decimal the English sentence has, the Portuguese one has with a comma.
    const decimals = r.decision.summary.match(/\d+\.\d+/g) ?? [];
    expect(decimals.length).toBeGreaterThan(3);
    for (const d of decimals) expect(pt).toContain(d.replace('.', ','));
  });
});

describe('plural forms', () => {
  const more = (lang: string, n: number) =>
    reasonText({ code: 'sequential', morePerArm: n }, wordingFor(lang)).match(/\d+ \S+/)![0];

  it('when Russian counts customers, then 1 клиент, 2 клиента, 5 клиентов, 11 клиентов, 21 клиент', () => {
    expect([1, 2, 5, 11, 21, 22].map((n) => more('ru', n))).toEqual([
      '1 клиент',
      '2 клиента',
      '5 клиентов',
      '11 клиентов',
      '21 клиент',
      '22 клиента',
    ]);
  });

  it('when Ukrainian counts customers, then 1 клієнт, 2 клієнти, 5 клієнтів', () => {
    expect([1, 2, 5, 11, 21].map((n) => more('uk', n))).toEqual([
      '1 клієнт',
      '2 клієнти',
      '5 клієнтів',
      '11 клієнтів',
      '21 клієнт',
    ]);
  });

  it('when Romanian counts customers, then 1 client, 2 clienți, 19 clienți, 20 de clienți', () => {
    const ro = (n: number) => reasonText({ code: 'sequential', morePerArm: n }, wordingFor('ro'));
    expect(ro(1)).toContain('aproximativ 1 client pe grup');
    expect(ro(2)).toContain('aproximativ 2 clienți pe grup');
    expect(ro(19)).toContain('aproximativ 19 clienți pe grup');
    expect(ro(20)).toContain('aproximativ 20 de clienți pe grup');
    expect(ro(102)).toContain('aproximativ 102 clienți pe grup');
  });

  it('when answers are counted, then each language agrees the noun with the number', () => {
    const answers = (lang: string, n: number) => basisText('mean', { n }, wordingFor(lang));
    expect([1, 3, 5].map((n) => answers('ru', n))).toEqual(['1 ответ', '3 ответа', '5 ответов']);
    expect([1, 3, 5].map((n) => answers('uk', n))).toEqual(['1 відповідь', '3 відповіді', '5 відповідей']);
    expect([1, 3, 20].map((n) => answers('ro', n))).toEqual([
      '1 răspuns',
      '3 răspunsuri',
      '20 de răspunsuri',
    ]);
    expect([1, 3].map((n) => answers('pt', n))).toEqual(['1 resposta', '3 respostas']);
    expect([1, 3].map((n) => answers('en', n))).toEqual(['1 answer', '3 answers']);
  });
});
