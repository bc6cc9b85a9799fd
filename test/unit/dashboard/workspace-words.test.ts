import { describe, expect, it } from 'vitest';
import { nudgeTypes } from '../../../src/domain/schemas/nudge.schema.js';
import { experimentForm } from '../../../src/http/dashboard/experiment-form.page.js';
import {
  experimentLinks,
  lifecycleForms,
  planningFigures,
  statusLine,
} from '../../../src/http/dashboard/experiment-tools.page.js';
import type { FormView } from '../../../src/http/dashboard/form-fields.js';
import { html, type SafeHtml } from '../../../src/http/dashboard/html.js';
import {
  journeyForm,
  stageTouchpointForm,
  touchpointForm,
} from '../../../src/http/dashboard/journey-form.page.js';
import { nudgeForm, nudgePreview } from '../../../src/http/dashboard/nudge-form.page.js';
import { touchpointContents, workspaceList } from '../../../src/http/dashboard/workspace.page.js';
import { i18nFor, type Lang } from '../../../src/i18n/index.js';
import { readPieces, staysAsIs, untranslated } from '../../helpers/page-text.js';

/** Names the fixtures typed, which stay as they are. */
const stays = staysAsIs(['Home loan', 'Monthly', 'Payment plan', 'monthly', 'name', 'tt', ': tt']);

const view = (lang: Lang, o: Partial<FormView> = {}): FormView => ({
  values: {},
  issues: [],
  readOnly: false,
  csrf: 'tok',
  i18n: i18nFor(lang),
  ...o,
});
const nudges = [
  { key: 'payment-plan-default', name: 'Payment plan', variants: [{ key: 'control', name: 'Monthly' }] },
];
const experiment = (status: 'draft' | 'running' | 'paused' | 'stopped') =>
  ({
    key: 'payment-plan-default-test',
    status,
    version: 3,
    variants: [{ key: 'control' }, { key: 'fortnightly' }],
    touchpoint: 'home-loan.apply.payment-plan',
  }) as never;
const plan = (liftUnit: 'relative' | 'absolute', days: number | null) =>
  ({
    experiment: 'e',
    inputs: { dailyExposures: 120, dailyExposuresFrom: 'entered', baseline: 0.1, baselineFrom: 'snapshots' },
    liftUnit,
    minimumDetectableEffect: { sequential: 0.1234, fixedHorizon: 0.0876 },
    plannedSample: 12345.6,
    chosenLift: { lift: 0.05, chanceOfShipByHorizon: 0.734, expectedDaysToShip: days },
  }) as never;
const lists = {
  journey: [{ key: 'home-loan', name: 'Home loan', source: 'experiments/home-loan.yaml' }],
  touchpoint: [],
  nudge: [{ key: 'payment-plan-default', name: 'Payment plan', type: 'default' }],
  experiment: [{ key: 'payment-plan-default-test', name: 'Payment plan', status: 'running' }],
};
const timing = {
  key: 'n',
  name: 'N',
  type: 'timing',
  variants: [{ key: 'control', name: 'Monthly', payload: { delayMinutes: 30, message: 'tt' } }],
} as never;
const preset = {
  key: 'n',
  name: 'N',
  type: 'default',
  variants: [{ key: 'control', name: 'Monthly', payload: { option: 'monthly', mode: 'opt-in' } }],
} as never;
const at = new Date('2026-03-02T10:00:00Z');
/** A reason as the API words it (it may stay English); here one that reads the same everywhere. */
const issues = [{ path: 'name', reason: 'tt' }];

/** Each section of the workspace, drawn in a language. */
const sections: Record<string, (lang: Lang) => SafeHtml> = {
  'the workspace list': (l) => workspaceList(lists, true, 'nudge:old-nudge', i18nFor(l)),
  "a touchpoint's contents": (l) =>
    touchpointContents(
      'home-loan.apply.payment-plan',
      [{ key: 'payment-plan-default', name: 'Payment plan', type: 'default' }],
      [{ key: 'e', name: 'Payment plan', status: 'draft', nudge: 'payment-plan-default' }],
      true,
      i18nFor(l),
    ),
  'an empty touchpoint': (l) => touchpointContents('home-loan.apply.payment-plan', [], [], false, i18nFor(l)),
  'the journey form': (l) => journeyForm(view(l, { issues, message: 'tt', notice: 'tt' })),
  'a stored journey': (l) => journeyForm(view(l, { values: { 'stages[0].key': 'apply' } }), 'home-loan'),
  'the touchpoint forms': (l) =>
    html2(touchpointForm(view(l)), touchpointForm(view(l), 'home-loan.apply.payment-plan')),
  'the touchpoint form on the map': (l) => stageTouchpointForm('tok', 'home-loan', 'apply', i18nFor(l)),
  ...Object.fromEntries(
    nudgeTypes.map((type) => [
      `the ${type} nudge form`,
      (l: Lang) =>
        html2(
          nudgeForm(view(l), { type, touchpoints: ['home-loan.apply.payment-plan'] }),
          nudgeForm(view(l), { type, existing: 'payment-plan-default', touchpoints: [] }),
        ),
    ]),
  ),
  'the nudge previews': (l) =>
    html2(nudgePreview(timing, 'Europe/Kyiv', at, i18nFor(l)), nudgePreview(preset, 'UTC', at, i18nFor(l))),
  'the experiment form': (l) =>
    experimentForm(
      view(l, {
        issues,
        values: { 'prior.from': 'template', 'prior.template': 'tt', 'prior.relativeLift': '0.02' },
      }),
      { nudges },
    ),
  'a stored experiment': (l) =>
    html2(
      ...(['draft', 'running', 'paused'] as const).map((s) =>
        lifecycleForms(experiment(s), 'tok', i18nFor(l)),
      ),
      statusLine(experiment('stopped'), i18nFor(l)),
      experimentLinks(experiment('draft'), i18nFor(l)),
    ),
  'the planning figures': (l) =>
    html2(
      planningFigures('tt', i18nFor(l)),
      planningFigures(plan('relative', 12.34), i18nFor(l)),
      planningFigures(plan('absolute', null), i18nFor(l)),
    ),
};

const html2 = (...parts: SafeHtml[]): SafeHtml => html`${parts}`;

describe.each(['ru', 'uk'] as const)('the workspace in %s', (lang) => {
  const cyrillic = /[\u0400-\u04FF]/;
  it.each(Object.keys(sections))('when %s is drawn, then no English words of it remain', (name) => {
    const draw = sections[name]!;
    const english = draw('en');
    const other = draw(lang);
    expect(untranslated(english, other, stays)).toEqual([]);
    // Every piece that is not a code or a name is in the language.
    const latinOnly = readPieces(other).filter((p) => !stays(p) && !cyrillic.test(p));
    expect(latinOnly).toEqual([]);
  });
});

describe('the workspace in Russian, word for word', () => {
  const ru = i18nFor('ru');
  it('when the list is drawn, then its headings, badges and the deletion notice are Russian', () => {
    const page = String(workspaceList(lists, true, 'nudge:old-nudge', ru));
    for (const words of ['Рабочая область', 'Пути клиента', 'Точки контакта', 'Где ведётся', 'Пока нет']) {
      expect(page).toContain(words);
    }
    expect(page).toContain('Удалён надж <code>old-nudge</code>. В журнале аудита');
    expect(page).toContain('Новый надж: timing');
    expect(page).toContain('<span class="badge status">идёт</span>');
  });

  it('when the planning figures are drawn, then percents and decimals are written the Russian way', () => {
    const page = String(planningFigures(plan('relative', 12.34), ru));
    // Russian percents have a decimal comma and a no-break space before the sign.
    expect(page).toContain('12,3\u00a0% (при одной проверке в конце срока: 8,8\u00a0%)');
    expect(page).toContain('Шанс внедрить вовремя: 73\u00a0%; ожидается через 12,3 дн.');
    expect(page).toContain('<td>12346</td>');
    const points = String(planningFigures(plan('absolute', null), ru));
    expect(points).toContain('0,12 п. (при одной проверке в конце срока: 0,09 п.)');
    expect(points).toContain('ожидается не в срок');
  });

  it('when a paused experiment is drawn, then its buttons and status are Russian', () => {
    const page = String(lifecycleForms(experiment('paused'), 'tok', ru));
    expect(page).toContain('>Возобновить</button>');
    expect(page).toContain('>Остановить</button>');
    expect(page).toContain('data-testid="exp-status">на паузе</span>');
  });
});
