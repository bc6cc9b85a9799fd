import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/roles.js';
import { LANGUAGE_NAMES } from '../../src/i18n/index.js';
import { signedIn as signedInAs } from '../helpers/dashboard-session.js';
import {
  experimentBody,
  journeyBody,
  nudgeBody,
  seedDefinitions,
  touchpointBody,
} from '../helpers/definitions.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { staysAsIs, untranslated } from '../helpers/page-text.js';
import { buildTemplate } from '../helpers/programme-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h);
  await h.services.templates.create(systemActor, buildTemplate());
}, 120_000);
afterAll(async () => {
  await h.close();
});

/** Every string the seeded definitions and the template hold: names typed, not words of the page. */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}
const typed = stringsOf([journeyBody, touchpointBody, nudgeBody, experimentBody, buildTemplate()]);
/** The create-draft form offers a touchpoint by its name, key and channel. */
const offered = `${touchpointBody.name} (${touchpointBody.key}, ${touchpointBody.channel})`;
const stays = staysAsIs([...typed, offered, ...Object.values(LANGUAGE_NAMES), 'Nudgelab', 'test-strategist']);
const main = (page: string) => /<main>([\s\S]*)<\/main>/.exec(page)?.[1] ?? '';

const pages = {
  'the workspace list': '/dashboard/workspace',
  'a new experiment filled from its nudge': `/dashboard/new/experiment?nudge=${nudgeBody.key}`,
  'a stored experiment with its planning figures': `/dashboard/edit/experiment/${experimentBody.key}?dailyExposures=500&baseline=0.1`,
  'a nudge with its preview': `/dashboard/edit/nudge/${nudgeBody.key}`,
  'a touchpoint with its nudges': `/dashboard/edit/touchpoint/${touchpointBody.key}`,
  'a journey': `/dashboard/edit/journey/${journeyBody.key}`,
  'the deletion of an experiment': `/dashboard/delete/experiment/${experimentBody.key}`,
  'the template catalogue': '/dashboard/templates',
};

describe.each(['ru', 'uk'] as const)('the workspace over HTTP in %s', (lang) => {
  it.each(Object.keys(pages))(
    'when %s is asked for with ?lang, then it is in that language and no English words of its own remain',
    async (name) => {
      const { agent } = await signedInAs(h.app, h.keys.strategist);
      const path = pages[name as keyof typeof pages];
      const english = await agent.get(path);
      const other = await agent.get(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
      expect(english.status).toBe(200);
      expect(other.status).toBe(200);
      expect(other.headers['content-language']).toBe(lang);
      expect(other.text).toContain(`<html lang="${lang}">`);
      expect(untranslated(main(english.text), main(other.text), stays)).toEqual([]);
    },
  );
});

describe('the workspace over HTTP in Russian, word for word', () => {
  it('when the workspace is asked for with ?lang=ru, then its headings and list are Russian', async () => {
    const { agent } = await signedInAs(h.app, h.keys.strategist);
    const res = await agent.get('/dashboard/workspace?lang=ru');
    expect(res.headers['content-language']).toBe('ru');
    for (const words of [
      '<h1>Рабочая область</h1>',
      '<h2>Пути клиента</h2>',
      'Новый эксперимент',
      'браузер / API',
    ]) {
      expect(res.text).toContain(words);
    }
    expect(res.text).not.toContain('Design journeys, nudges and experiments');
  });

  it('when an experiment is opened in Russian with traffic and a baseline, then its lifecycle and planning are Russian', async () => {
    const { agent } = await signedInAs(h.app, h.keys.strategist);
    const res = await agent.get(
      `/dashboard/edit/experiment/${experimentBody.key}?dailyExposures=500&baseline=0.1&lang=ru`,
    );
    expect(res.text).toContain('<h1>Эксперимент payment-plan-default-test</h1>');
    expect(res.text).toContain('>Запустить</button>');
    expect(res.text).toContain('<th>Минимальный обнаружимый эффект</th>');
    expect(res.text).toMatch(/data-testid="plan-days">Шанс внедрить вовремя: \d+\u00a0%; ожидается /);
  });

  it('when a deletion is refused in Russian, then the page says so in Russian beside the rule the API gives', async () => {
    const { agent } = await signedInAs(h.app, h.keys.strategist);
    const res = await agent.get(`/dashboard/delete/journey/${journeyBody.key}?lang=ru`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Удалить путь <code>home-loan</code>?</h1>');
    expect(res.text).toContain('Ничего не удалено.');
    expect(res.text).toContain('Путь с точками контакта удалить нельзя: сначала удалите его точки контакта.');
    expect(await h.services.journeys.get(journeyBody.key)).toMatchObject({ key: journeyBody.key });
  });

  it('when a reader who chose Russian posts a half-filled targeting row, then the reason is Russian and nothing is stored', async () => {
    const { agent, csrf } = await signedInAs(h.app, h.keys.strategist);
    const chosen = await agent.get('/dashboard/language?set=ru&next=/dashboard/workspace');
    expect(chosen.status).toBe(303);
    const res = await agent.post('/dashboard/edit/experiment').type('form').send({
      csrf,
      key: 'ru-targeting',
      name: 'RU',
      nudge: nudgeBody.key,
      control: 'control',
      'variants[0].key': 'control',
      'variants[0].weight': '0.5',
      'variants[1].key': 'fortnightly',
      'variants[1].weight': '0.5',
      'targetingRules[0].attribute': '',
      'targetingRules[0].value': 'gold',
      'metrics[0].key': 'completed',
      'metrics[0].kind': 'conversion',
      'metrics[0].role': 'primary',
      'metrics[0].event': 'application_completed',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain(
      'data-field="targetingRules[0].attribute">укажите атрибут, который проверяет это правило',
    );
    expect(res.text).toContain('Ничего не изменено.');
    expect(res.text).toContain('<html lang="ru">');
    await expect(h.services.experiments.get('ru-targeting')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('when a reader who chose Ukrainian adds a row, then the notice is Ukrainian and nothing is stored', async () => {
    const { agent, csrf } = await signedInAs(h.app, h.keys.strategist);
    await agent.get('/dashboard/language?set=uk&next=/dashboard/workspace');
    const res = await agent
      .post('/dashboard/edit/journey')
      .type('form')
      .send({ csrf, key: 'uk-journey', name: 'UK', 'stages[0].key': 'apply', intent: 'add:stages' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Додано рядок. Нічого не зберігається, доки ви не натиснете «Зберегти».');
    expect(res.text).toContain('data-testid="stage-row-1"');
    await expect(h.services.journeys.get('uk-journey')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('when a form comes without its CSRF token in Russian, then the refusal is Russian and nothing is stored', async () => {
    const { agent } = await signedInAs(h.app, h.keys.strategist);
    await agent.get('/dashboard/language?set=ru&next=/dashboard/workspace');
    const res = await agent
      .post('/dashboard/edit/journey')
      .type('form')
      .send({ key: 'ru-no-csrf', name: 'RU' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('В форме нет CSRF-токена или токен неверный.');
    await expect(h.services.journeys.get('ru-no-csrf')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('when a language Nudgelab does not speak is asked for, then the workspace is English', async () => {
    const { agent } = await signedInAs(h.app, h.keys.strategist);
    const res = await agent.get('/dashboard/workspace?lang=de');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Workspace</h1>');
    expect(res.headers['content-language']).toBe('en');
  });
});
