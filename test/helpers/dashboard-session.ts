import type { Express } from 'express';
import supertest from 'supertest';

const csrfIn = (page: string): string => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** An agent signed in to the dashboard with this key, and the session's CSRF token for its forms. */
export async function signedIn(
  app: Express,
  secret: string,
): Promise<{ agent: supertest.Agent; csrf: string }> {
  const agent = supertest.agent(app);
  const page = await agent.get('/dashboard/sign-in');
  await agent
    .post('/dashboard/sign-in')
    .type('form')
    .send({ apiKey: secret, csrf: csrfIn(page.text) });
  const dash = await agent.get('/dashboard');
  return { agent, csrf: csrfIn(dash.text) };
}
