/**
 * The demo as a newcomer runs it: `npm start` on a fresh data folder (the embedded database, the
 * sample experiments), then `npm run demo` with its defaults against it, while `/readyz` is polled
 * every 500 ms. Reports the demo's time and what `/readyz` answered meanwhile.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const log = (msg: string): void => void process.stderr.write(`[bench-demo] ${msg}\n`);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

async function readyz(baseUrl: string): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  try {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t };
  } catch {
    return { status: 0, ms: performance.now() - t };
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function runDemoBench(): Promise<{ title: string; rows: Record<string, string | number>[] }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-demo-'));
  const port = 3900 + Math.floor(Math.random() * 90);
  const baseUrl = `http://127.0.0.1:${port}`;
  const key = `nlk_bench_demo_${Math.random().toString(36).slice(2)}_admin_key`;
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    BOOTSTRAP_ADMIN_KEY: key,
    LOG_LEVEL: 'warn',
  };
  const server = run('npm', ['start'], env);
  let serverLog = '';
  server.stderr?.on('data', (d: Buffer) => {
    serverLog = (serverLog + d.toString()).slice(-4000);
  });
  try {
    const startedAt = performance.now();
    for (;;) {
      if ((await readyz(baseUrl)).status === 200) break;
      if (server.exitCode !== null || performance.now() - startedAt > 180_000) {
        throw new Error(`the service did not become ready: ${serverLog}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const startSeconds = (performance.now() - startedAt) / 1000;
    log(`service ready after ${startSeconds.toFixed(1)} s; running the demo`);
    const probes: { status: number; ms: number }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        probes.push(await readyz(baseUrl));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const t = performance.now();
    const demo = run('npm', ['run', 'demo', '--', '--base-url', baseUrl, '--key', key], env);
    let out = '';
    demo.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    demo.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number>((resolve) => demo.on('exit', (c) => resolve(c ?? 1)));
    const seconds = (performance.now() - t) / 1000;
    polling = false;
    await poller;
    if (code !== 0) throw new Error(`the demo failed (exit ${code}):\n${out}`);
    process.stderr.write(out);
    const done =
      /Done in [\d.]+ s: (\d+) assignment requests, (\d+) exposures, (\d+) events, (\d+) refreshes/.exec(out);
    const not200 = probes.filter((p) => p.status !== 200).length;
    return {
      title: 'Demo (`npm start` on a fresh data folder, then `npm run demo` with its defaults)',
      rows: [
        {
          'service ready s': Number(startSeconds.toFixed(1)),
          'demo s': Number(seconds.toFixed(1)),
          'assignment requests': done?.[1] ?? '?',
          exposures: done?.[2] ?? '?',
          events: done?.[3] ?? '?',
          refreshes: done?.[4] ?? '?',
          '/readyz probes': probes.length,
          'not 200': not200,
          '/readyz max ms': Math.round(Math.max(0, ...probes.map((p) => p.ms))),
        },
      ],
    };
  } finally {
    killGroup(server);
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
