import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody } from '../../../src/http/body.middleware.js';
import { errorMiddleware } from '../../../src/http/error.middleware.js';
import { requestContext } from '../../../src/http/request-context.middleware.js';
import { createLogger } from '../../../src/logger.js';

const app = express();
app.use(requestContext(createLogger('silent')));
app.post('/', jsonBody('1kb'), (req, res) => {
  res.json({ body: req.body as unknown });
});
app.use(errorMiddleware());

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Raw bodies whose answers must not depend on which reader took them. */
const bodies: [string, Buffer][] = [
  ['an object', utf8('{"a":1,"b":"é"}')],
  ['an array after blanks', utf8(' \n\t[1,2,{"c":null}]')],
  ['a leading BOM', Buffer.concat([BOM, utf8('{"a":1}')])],
  ['a BOM before a scalar', Buffer.concat([BOM, utf8(' "x"')])],
  ['a top-level string', utf8('"text"')],
  ['a top-level number', utf8('12')],
  ['null', utf8('null')],
  ['cut short', utf8('{"a":')],
  ['trailing garbage', utf8('{"a":1} x')],
  ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ['a $ key', utf8('{"$where":"1"}')],
  ['too deep', utf8(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`)],
  ['too large', utf8(`{"a":"${'x'.repeat(2000)}"}`)],
  ['blanks only', utf8('   ')],
];

let server: Server;
beforeAll(async () => {
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Answer {
  status: number;
  body: { body?: unknown; error?: { code?: string; details?: unknown } };
  socket: unknown;
}

/** The bytes as given (an HTTP client library would re-encode a buffer), on a kept-alive agent. */
function send(type: string, body: Buffer, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port: (server.address() as AddressInfo).port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/',
        headers: { 'content-type': type, 'content-length': body.length },
        ...(agent ? { agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString()),
            socket: req.socket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the plain JSON reader (Content-Type exactly application/json)', () => {
  it.each(bodies)('answers %s as body-parser does', async (_what, body) => {
    const plain = await send('application/json', body);
    const general = await send('application/json; charset=utf-8', body);
    expect(plain.status).toBe(general.status);
    expect(plain.body.body).toEqual(general.body.body);
    expect(plain.body.error?.code).toBe(general.body.error?.code);
    expect(plain.body.error?.details).toEqual(general.body.error?.details);
  });

  it('reads what it should: the values, the BOM dropped, the refusals named', async () => {
    const answer = async (i: number) => (await send('application/json', bodies[i]![1])).body;
    expect((await answer(0)).body).toEqual({ a: 1, b: 'é' });
    expect((await answer(2)).body).toEqual({ a: 1 });
    expect((await answer(9)).body).toEqual({ a: '\ufffd\ufffd' });
    expect((await answer(4)).error?.code).toBe('invalid_json');
    expect((await answer(10)).error?.code).toBe('validation_failed');
    expect((await answer(11)).error?.code).toBe('validation_failed');
    expect((await answer(12)).error?.code).toBe('payload_too_large');
  });

  it('reads off a body it refused, so the kept-alive connection serves the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const big = await send('application/json', bodies[12]![1], agent);
    expect(big.status).toBe(413);
    const next = await send('application/json', utf8('{"ok":true}'), agent);
    expect(next.status).toBe(200);
    expect(next.body.body).toEqual({ ok: true });
    expect(next.socket).toBe(big.socket);
    agent.destroy();
  });
});
