import pino from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  req?: { method: string; url: string };
  res?: { status: number };
  err?: { message: string };
  ms?: number;
}

const lines: LogLine[] = [];
let h: Harness;

beforeAll(async () => {
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  h = await createHarness({ logger });
});
afterAll(async () => {
  await h.close();
});

const metricsText = async (app = h.app) => {
  const res = await supertest(app).get('/metrics').set(auth(h.keys.admin));
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
};

/** The value of one series, found by its name and exact labels (in any order). */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]] as const),
    );
    const same =
      Object.keys(found).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => found[k] === v);
    if (same) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  it('when readouts of two unknown experiments were asked, then it counts and times them under the route template, never the URL', async () => {
    for (const key of ['no-such-experiment', 'another-missing-one']) {
      const res = await h.request().get(`/v1/experiments/${key}/readout`).set(auth(h.keys.viewer));
      expect(res.status).toBe(404);
    }
    const text = await metricsText();
    const labels = { method: 'GET', route: '/v1/experiments/:key/readout', status_code: '404' };
    expect(series(text, 'http_requests_total', labels)).toBe(2);
    expect(series(text, 'http_request_duration_seconds_count', labels)).toBe(2);
    expect(series(text, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(2);
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).not.toContain('no-such-experiment');
  });

  it('when routes that do not exist were asked, then they share one label', async () => {
    await h.request().get('/nothing/here/1');
    await h.request().post('/v1/nothing-either-2');
    const text = await metricsText();
    expect(
      series(text, 'http_requests_total', { method: 'GET', route: '(unmatched)', status_code: '404' }),
    ).toBe(1);
    expect(
      series(text, 'http_requests_total', { method: 'POST', route: '(unmatched)', status_code: '404' }),
    ).toBe(1);
    expect(text).not.toContain('/nothing');
  });

  it('shows the process metrics and the exposure, journal and attribution figures', async () => {
    const text = await metricsText();
    for (const type of [
      '# TYPE nodejs_eventloop_lag_seconds gauge',
      '# TYPE nodejs_heap_size_used_bytes gauge',
      '# TYPE nodejs_gc_duration_seconds histogram',
      '# TYPE process_cpu_user_seconds_total counter',
      '# TYPE nudgelab_exposures_enqueued_total counter',
      '# TYPE nudgelab_exposure_journal_bytes gauge',
      '# TYPE nudgelab_attribution_pending gauge',
    ]) {
      expect(text).toContain(type);
    }
    expect(text).toMatch(/^nudgelab_exposure_journal_full 0$/m);
    expect(text).toMatch(/^nudgelab_exposures_dropped_total 0$/m);
  });

  it('keeps the requests of each app in its own registry', async () => {
    const other = createApp({
      services: h.services,
      logger: pino({ level: 'silent' }),
      bodyLimit: '1mb',
      version: 'test',
    });
    const text = await metricsText(other);
    const readouts = { method: 'GET', route: '/v1/experiments/:key/readout', status_code: '404' };
    expect(series(text, 'http_requests_total', readouts)).toBeUndefined();
    expect(series(await metricsText(), 'http_requests_total', readouts)).toBe(2);
  });

  it('refuses a caller without an admin key or the metrics token', async () => {
    expect((await h.request().get('/metrics')).status).toBe(401);
    expect((await h.request().get('/metrics').set(auth(h.keys.viewer))).status).toBe(403);
    const token = 'metrics-token-of-24-chars-or-more';
    const guarded = createApp({
      services: h.services,
      logger: pino({ level: 'silent' }),
      bodyLimit: '1mb',
      version: 'test',
      security: { metricsToken: token },
    });
    expect((await supertest(guarded).get('/metrics').set(auth(token))).status).toBe(200);
  });
});

describe('request logging', () => {
  it('when a request succeeds, then its line carries the request id the caller sent, its status and no headers', async () => {
    const id = 'trace-ok-0001';
    const res = await h.request().get('/v1/journeys').set(auth(h.keys.viewer)).set('x-request-id', id);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
    const mine = lines.filter((l) => l.requestId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ msg: 'request', req: { method: 'GET', url: '/v1/journeys' } });
    expect(mine[0]?.res?.status).toBe(200);
    expect(JSON.stringify(mine[0])).not.toContain(h.keys.viewer);
  });

  it('when a request fails, then the error line and the request line both carry its generated request id', async () => {
    const journeys = h.services.journeys;
    const list = journeys.list;
    journeys.list = async () => {
      throw new Error('journeys store broke');
    };
    try {
      const res = await h.request().get('/v1/journeys').set(auth(h.keys.viewer));
      expect(res.status).toBe(500);
      const id = res.body.error.requestId as string;
      expect(id).toMatch(/^req_/);
      expect(res.headers['x-request-id']).toBe(id);
      const mine = lines.filter((l) => l.requestId === id);
      expect(mine.map((l) => l.msg).sort()).toEqual(['request failed', 'unhandled error']);
      expect(mine.find((l) => l.msg === 'unhandled error')?.err?.message).toBe('journeys store broke');
      expect(lines.filter((l) => l.msg === 'unhandled error').every((l) => l.requestId)).toBe(true);
    } finally {
      journeys.list = list;
    }
  });
});

describe('request logging above debug', () => {
  const infoLines: LogLine[] = [];
  const app = () =>
    createApp({
      services: h.services,
      logger: pino(
        { level: 'info' },
        { write: (line: string) => void infoLines.push(JSON.parse(line) as LogLine) },
      ),
      bodyLimit: '1mb',
      version: 'test',
    });

  it('when a request succeeds, then it writes no line; a refused one writes the line debug would, at info', async () => {
    const served = app();
    const ok = await supertest(served)
      .get('/v1/journeys')
      .set(auth(h.keys.viewer))
      .set('x-request-id', 'quiet-ok-0001');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('quiet-ok-0001');
    expect(infoLines.filter((l) => l.requestId === 'quiet-ok-0001')).toEqual([]);
    const refused = await supertest(served).get('/v1/journeys').set('x-request-id', 'quiet-401-0001');
    expect(refused.status).toBe(401);
    const mine = infoLines.filter((l) => l.requestId === 'quiet-401-0001');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: 30, msg: 'request', req: { method: 'GET', url: '/v1/journeys' } });
    expect(mine[0]?.res?.status).toBe(401);
    expect(mine[0]?.ms).toEqual(expect.any(Number));
  });

  it('when many requests are refused at once, then each line carries its own id, also after the level went to debug and back', async () => {
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void infoLines.push(JSON.parse(line) as LogLine) },
    );
    const served = createApp({ services: h.services, logger, bodyLimit: '1mb', version: 'test' });
    const ids = Array.from({ length: 12 }, (_, i) => `many-401-${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(
      ids.map((id) => supertest(served).get('/v1/journeys').set('x-request-id', id)),
    );
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 401));
    for (const id of ids) expect(infoLines.filter((l) => l.requestId === id)).toHaveLength(1);
    // At debug, pino-http gives each request its logger; the success line names the request.
    logger.level = 'debug';
    const ok = await supertest(served)
      .get('/v1/journeys')
      .set(auth(h.keys.viewer))
      .set('x-request-id', 'dbg-ok-0001');
    expect(ok.status).toBe(200);
    expect(infoLines.filter((l) => l.requestId === 'dbg-ok-0001').map((l) => l.msg)).toEqual(['request']);
    logger.level = 'info';
    const after = await supertest(served).get('/v1/journeys').set('x-request-id', 'back-401-0001');
    expect(after.status).toBe(401);
    expect(infoLines.filter((l) => l.requestId === 'back-401-0001')).toHaveLength(1);
    expect(infoLines.filter((l) => l.requestId === 'dbg-ok-0001')).toHaveLength(1);
  });

  it('when the level is warn, then a refused request writes nothing and a failed one still writes its warn line', async () => {
    const warnLines: LogLine[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void warnLines.push(JSON.parse(line) as LogLine) },
    );
    const served = createApp({ services: h.services, logger, bodyLimit: '1mb', version: 'test' });
    const refused = await supertest(served).get('/v1/journeys').set('x-request-id', 'warn-401-0001');
    expect(refused.status).toBe(401);
    const journeys = h.services.journeys;
    const list = journeys.list;
    journeys.list = async () => {
      throw new Error('journeys store broke at warn');
    };
    try {
      const failed = await supertest(served)
        .get('/v1/journeys')
        .set(auth(h.keys.viewer))
        .set('x-request-id', 'warn-500-0001');
      expect(failed.status).toBe(500);
    } finally {
      journeys.list = list;
    }
    expect(warnLines.filter((l) => l.requestId === 'warn-401-0001')).toEqual([]);
    const failedLines = warnLines.filter((l) => l.requestId === 'warn-500-0001');
    expect(failedLines.find((l) => l.msg === 'request failed')).toMatchObject({
      level: 40,
      res: { status: 500 },
    });
  });

  it('when a request fails, then the error line and a warn request line carry its request id', async () => {
    const journeys = h.services.journeys;
    const list = journeys.list;
    journeys.list = async () => {
      throw new Error('journeys store broke again');
    };
    try {
      const res = await supertest(app()).get('/v1/journeys').set(auth(h.keys.viewer));
      expect(res.status).toBe(500);
      const id = res.body.error.requestId as string;
      expect(id).toMatch(/^req_/);
      const mine = infoLines.filter((l) => l.requestId === id);
      expect(mine.map((l) => l.msg).sort()).toEqual(['request failed', 'unhandled error']);
      expect(mine.find((l) => l.msg === 'request failed')).toMatchObject({ level: 40, res: { status: 500 } });
      expect(mine.find((l) => l.msg === 'unhandled error')?.err?.message).toBe('journeys store broke again');
    } finally {
      journeys.list = list;
    }
  });
});
