import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connection.js';
import { repoRoot } from '../../src/db/embedded.js';
import { embeddedPort } from '../../src/db/open-database.js';
import { storedExposures } from '../helpers/stored-exposures.js';

/**
 * The real service in its own process, on a fresh data folder with the embedded database it
 * starts itself (and the sample experiments synced on first start), killed with SIGKILL in the
 * middle of a burst of assignments for new customers and started again on the same folder.
 */
const dataDirs: string[] = [];
const adminKey = `adm_${randomBytes(24).toString('hex')}`;
const touchpoint = 'checkout.basket.free-shipping-bar';
const experiment = 'free-shipping-gain-frame';
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const dataDir of dataDirs) {
    // The embedded database outlives the killed service (as it would in production); stop it here.
    try {
      const marker = JSON.parse(readFileSync(path.join(dataDir, 'db', 'server.json'), 'utf8')) as {
        pid: number;
      };
      process.kill(marker.pid, 'SIGKILL');
    } catch {
      // not running
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * Starts the service on a port the kernel picks (PORT=0), read from its start banner, so no other
 * process can take the port between choosing and listening; ready when `/readyz` answers 200.
 */
async function startService(dataDir: string, sync: boolean): Promise<{ child: ChildProcess; base: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    EXPOSURE_SYNC: String(sync),
    PORT: '0',
    HOST: '127.0.0.1',
    BOOTSTRAP_ADMIN_KEY: adminKey,
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_KEY: '0',
  };
  delete env.MONGODB_URI;
  // As `npm start` runs it: compiled first, attribution's thread from the compiled program too.
  const run = path.join(repoRoot, 'scripts', 'run.mjs');
  const child = spawn(process.execPath, ['--enable-source-maps', run, 'main'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  // Its log lines (warnings and errors) go to the test's output, as its stderr does.
  child.stdout?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    if (stdout.length < 64_000) stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const failure = (why: string) =>
    new Error(`${why} (exit ${child.exitCode ?? child.signalCode}); its stderr ends with:\n${stderr}`);
  // The first start may compile the sources (about 15 s).
  const end = Date.now() + 120_000;
  let base: string | null = null;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw failure('service exited');
    const port = /127\.0\.0\.1:(\d+)\/v1/.exec(stdout)?.[1];
    if (port) base = `http://127.0.0.1:${port}`;
    if (base) {
      const ready = await fetch(`${base}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return { child, base };
    }
    if (Date.now() > end) throw failure('service did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

// With EXPOSURE_SYNC=false an answered exposure is written to the operating system, not synced:
// it survives the process being killed (what this checks), not the machine going down.
describe.each([
  { sync: true, how: 'synced' },
  { sync: false, how: 'written, not synced' },
])('exposure durability across a crash of the service ($how)', ({ sync }) => {
  it('when the service is killed mid-burst and restarted, stores and attributes every answered exposure exactly once', {
    timeout: 240_000,
  }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-crash-'));
    dataDirs.push(dataDir);
    let { child, base } = await startService(dataDir, sync);
    const created = await fetch(`${base}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash-app', role: 'app' }),
    });
    expect(created.status).toBe(201);
    const appKey = ((await created.json()) as { secret: string }).secret;

    // customerId -> the variant the service answered.
    const answered = new Map<string, string>();
    const killAfter = 600;
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const customerId = `new-${next++}`;
        const res = await fetch(`${base}/v1/assignments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${appKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customerId, touchpoint, channel: 'web' }),
        }).catch(() => null);
        if (res === null || res.status !== 200) continue;
        const body = (await res.json().catch(() => null)) as {
          assignments: { experiment: string; inExperiment: boolean; variant: string | null }[];
        } | null;
        const a = body?.assignments.find((x) => x.experiment === experiment);
        if (a?.inExperiment && a.variant) answered.set(customerId, a.variant);
        // Killed right after an answer, while other requests are in flight and the buffer is full.
        if (!killed && answered.size >= killAfter) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 24 }, worker));
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(answered.size).toBeGreaterThanOrEqual(killAfter);
    const journalDir = path.join(dataDir, 'journal');
    // What the killed process left on disk: the exposure log segments not yet known to be stored.
    expect(
      readdirSync(journalDir).some(
        (f) => f.includes('.log.') && readFileSync(path.join(journalDir, f), 'utf8').includes('{'),
      ),
    ).toBe(true);

    ({ child, base } = await startService(dataDir, sync));
    const connection = await connectDatabase(
      `mongodb://127.0.0.1:${embeddedPort(path.join(dataDir, 'db'))}/nudgelab`,
    );
    const ofExperiment = () => storedExposures(connection, (d) => d.experiment === experiment);
    const end = Date.now() + 60_000;
    let stored = await ofExperiment();
    while (stored.length < answered.size && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      stored = await ofExperiment();
    }
    const byCustomer = new Map<string, string[]>();
    for (const d of stored)
      byCustomer.set(d.customerId, [...(byCustomer.get(d.customerId) ?? []), d.variant]);
    const missing = [...answered.keys()].filter((c) => !byCustomer.has(c));
    expect(missing).toEqual([]);
    for (const [customerId, variant] of answered) expect(byCustomer.get(customerId)).toEqual([variant]);
    expect(new Set(stored.map((d) => d._id)).size).toBe(stored.length);
    // Attributed exactly once too, by the restarted service's attribution thread: the killed one's
    // lease runs out first, and a batch it left half-applied is replayed. Every stored exposure
    // counts, answered or not (one logged before the kill took its answer is stored too); the
    // replay of the log may still be storing some, so the counts are compared until they settle.
    const tally = (docs: { variant: string }[]) => {
      const perVariant: Record<string, number> = {};
      for (const d of docs) perVariant[d.variant] = (perVariant[d.variant] ?? 0) + 1;
      return perVariant;
    };
    let counted: Record<string, number> = {};
    let expected: Record<string, number> = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      const refreshed = await fetch(`${base}/v1/experiments/${experiment}/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const answer = await refreshed.text();
      expect(refreshed.status, answer).toBe(200);
      counted = (JSON.parse(answer) as { counts: { exposures: Record<string, number> } }).counts.exposures;
      expected = tally(await ofExperiment());
      const sorted = (o: Record<string, number>) => JSON.stringify(Object.entries(o).sort());
      if (sorted(counted) === sorted(expected)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(counted).toEqual(expected);
    child.kill('SIGTERM');
    await exited(child);
    expect(child.exitCode).toBe(0);
    // A clean stop leaves no log segment behind: everything in them is stored.
    expect(readdirSync(journalDir).filter((f) => f.includes('.log.'))).toEqual([]);
    await connection.close();
  });
});
