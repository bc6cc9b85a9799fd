import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { createPdfPrinter } from '../../src/http/dashboard/pdf-printer.js';
import { createLogger } from '../../src/logger.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { insertExperiment } from '../helpers/readout-fixtures.js';

let h: Harness;
let request: () => supertest.Agent;
beforeAll(async () => {
  h = await createHarness();
  await insertExperiment(h.connection, 'no-browser');
  const pdf = createPdfPrinter({
    launch: async () => {
      throw new Error('Failed to launch the browser process: libnss3.so: cannot open shared object file');
    },
  });
  const app = createApp({
    services: h.services,
    logger: createLogger('silent'),
    bodyLimit: '1mb',
    version: 'test',
    dashboard: { sessionSecret: 'pdf-test-session-secret-0123', sessionTtlMinutes: 30, pdf },
  });
  request = () => supertest.agent(app);
});
afterAll(async () => {
  await h.close();
});

describe('PDF export without a browser', () => {
  it('when no browser can start, then the PDF route answers 503 saying why, and /readyz reports degraded, not down', async () => {
    const before = await request().get('/readyz');
    expect(before.body.status).toBe('ok');

    const res = await request().get('/v1/experiments/no-browser/readout.pdf').set(auth(h.keys.viewer));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('pdf_unavailable');
    expect(res.body.error.message).toContain('libnss3.so');
    expect(res.body.error.message).toContain('CHROMIUM_PATH');
    expect(res.body.error.requestId).toBeTruthy();

    const ready = await request().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.checks.pdf).toMatchObject({ ok: false, checked: true });
    expect(ready.body.checks.database).toBe(true);
  });
});
