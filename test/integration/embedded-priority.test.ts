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

async function openOwn(nice: number | undefined) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-priority-db-'));
  const db = await openDatabase(
    { dataDir, ...(nice === undefined ? {} : { nice }) },
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
