import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/open-database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** The niceness of every thread of a process (Linux: field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}

/** One variable of a process's environment, as the process was started (Linux). */
function startedWith(pid: number, name: string): string | undefined {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return entries.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
}

async function openOwn(nice: number | undefined, gcPercent?: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-priority-db-'));
  const db = await openDatabase(
    { dataDir, ...(nice === undefined ? {} : { nice }), ...(gcPercent === undefined ? {} : { gcPercent }) },
    pino({ level: 'silent' }),
  );
  cleanups.push(async () => {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const marker = JSON.parse(readFileSync(path.join(dataDir, 'db', 'server.json'), 'utf8')) as { pid: number };
  return { db, pid: marker.pid };
}

describe('the embedded database priority', () => {
  it('starts every thread of the server at the niceness asked for, and the server answers', async () => {
    const { db, pid } = await openOwn(7);
    const own = threadNiceness(process.pid)[0] ?? 0;
    const niceness = threadNiceness(pid);
    expect(niceness.length).toBeGreaterThan(1);
    expect(new Set(niceness)).toEqual(new Set([Math.min(19, own + 7)]));
    await db.connection.collection('probe').insertOne({ _id: 'a' } as never);
    expect(await db.connection.collection('probe').countDocuments()).toBe(1);
  });

  it("runs the server at this process's own priority when no niceness is asked for (CLIs)", async () => {
    const { pid } = await openOwn(undefined);
    const own = threadNiceness(process.pid)[0] ?? 0;
    expect(new Set(threadNiceness(pid))).toEqual(new Set([own]));
  });

  it('is 10 below the service by default, and refuses a niceness outside 0-19', () => {
    expect(loadConfig({}).EMBEDDED_DB_NICE).toBe(10);
    expect(loadConfig({ EMBEDDED_DB_NICE: '0' }).EMBEDDED_DB_NICE).toBe(0);
    expect(() => loadConfig({ EMBEDDED_DB_NICE: '20' })).toThrow(/EMBEDDED_DB_NICE/);
    expect(() => loadConfig({ EMBEDDED_DB_NICE: '-5' })).toThrow(/EMBEDDED_DB_NICE/);
  });
});

describe('the embedded database garbage-collection target', () => {
  it('starts the server with GOGC=400 unless another is asked for, whatever GOGC this process has', async () => {
    const before = process.env.GOGC;
    process.env.GOGC = '50';
    try {
      const plain = await openOwn(undefined);
      expect(startedWith(plain.pid, 'GOGC')).toBe('400');
      const chosen = await openOwn(3, 150);
      expect(startedWith(chosen.pid, 'GOGC')).toBe('150');
      await chosen.db.connection.collection('probe').insertOne({ _id: 'b' } as never);
      expect(await chosen.db.connection.collection('probe').countDocuments()).toBe(1);
    } finally {
      if (before === undefined) delete process.env.GOGC;
      else process.env.GOGC = before;
    }
  });

  it('is 400 by default for the service, and refuses a target outside 25-2000', () => {
    expect(loadConfig({}).EMBEDDED_DB_GOGC).toBe(400);
    expect(loadConfig({ EMBEDDED_DB_GOGC: '100' }).EMBEDDED_DB_GOGC).toBe(100);
    expect(() => loadConfig({ EMBEDDED_DB_GOGC: '10' })).toThrow(/EMBEDDED_DB_GOGC/);
    expect(() => loadConfig({ EMBEDDED_DB_GOGC: 'off' })).toThrow(/EMBEDDED_DB_GOGC/);
  });
});
