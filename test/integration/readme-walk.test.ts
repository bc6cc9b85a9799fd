import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  // What the first start does: the sample definitions of experiments/ are loaded.
  const synced = await syncDefinitions(h.services, { dir: path.resolve('experiments'), dryRun: false });
  expect(synced.issues).toEqual([]);
});
afterAll(async () => {
  await h.close();
});

/** The commands of the README's walk, continuation lines joined. */
function walkCommands(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const marker = readme.indexOf('<!-- walk:');
  expect(marker).toBeGreaterThan(0);
  const start = readme.indexOf('```sh\n', marker) + 6;
  const block = readme.slice(start, readme.indexOf('\n```', start));
  return block
    .replaceAll('\\\n', ' ')
    .split('\n')
    .filter((l) => l.trim().length > 0);
}

describe("the README's walk to a first readout", () => {
  it('runs step by step as written and ends with a readout sentence', async () => {
    const commands = walkCommands();
    expect(commands.length).toBeGreaterThanOrEqual(5);
    let last: { status: number; body: Record<string, unknown> } | undefined;
    for (const command of commands) {
      expect(command.startsWith('curl -s ')).toBe(true);
      const url = /localhost:3000(\/\S+)/.exec(command)?.[1];
      const data = /-d '([^']*)'/.exec(command)?.[1];
      const method = /-X (\w+)/.exec(command)?.[1] ?? (data ? 'POST' : 'GET');
      expect(url, command).toBeDefined();
      expect(command).toContain('-H "Authorization: Bearer $KEY"');
      const body = data
        ? JSON.parse(data.replaceAll('NOW', new Date(Date.now() - 1000).toISOString()))
        : undefined;
      const req = h.request()[method.toLowerCase() as 'get' | 'post'](url!).set(auth(h.keys.admin));
      const res = body ? await req.send(body) : await req;
      expect(res.status, `${command}\n${JSON.stringify(res.body)}`).toBeLessThan(300);
      if (url === '/v1/events') expect(res.body.unmatched).toEqual([]);
      last = res;
    }
    const latest = last?.body.latest as { readout: { decision: { summary: string } } };
    const summary = latest.readout.decision.summary;
    // The sentence the README quotes for this point of the walk.
    expect(readFileSync('README.md', 'utf8').replaceAll('\n   ', ' ')).toContain(`says "${summary}"`);
  });
});
