import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExposureLog } from '../../../src/domain/assignment/exposure-log.js';
import { LogSyncThread } from '../../../src/domain/assignment/log-sync-thread.js';

/** Asks the thread only to sync `fd` (a write of no bytes). */
const syncOnly = (thread: LogSyncThread, fd: number) => thread.write(fd, Buffer.alloc(0), 0);

const MB = 1024 * 1024;
const dirs: string[] = [];
const threads: LogSyncThread[] = [];
afterEach(async () => {
  for (const t of threads.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(): { fd: number; name: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'log-sync-thread-test-'));
  dirs.push(dir);
  const name = path.join(dir, 'f');
  return { fd: openSync(name, 'w', 0o600), name };
}

function thread(): LogSyncThread {
  const t = new LogSyncThread();
  threads.push(t);
  return t;
}

/** `n` bytes of one letter. */
const bytes = (letter: string, n: number) => Buffer.alloc(n, letter);

describe('the exposure log thread writing', () => {
  it('writes each request at its own offset, whatever order they come in, and syncs them', async () => {
    const t = thread();
    const { fd, name } = file();
    await Promise.all([t.write(fd, bytes('b', 3), 3), t.write(fd, bytes('a', 3), 0), syncOnly(t, fd)]);
    expect(readFileSync(name, 'utf8')).toBe('aaabbb');
    expect(t.syncs).toBeGreaterThanOrEqual(1);
    closeSync(fd);
  });

  it('reuses its ring from the start once earlier requests are answered, keeping bytes apart', async () => {
    const t = thread();
    const { fd, name } = file();
    // 1.5 MB each: the third no longer fits before the ring's end (4 MB) and goes to its start.
    const pieces = ['x', 'y', 'z', 'w'].map((l) => bytes(l, 1.5 * MB));
    let at = 0;
    for (const piece of pieces) {
      expect(t.takes(piece.length)).toBe(true);
      await t.write(fd, piece, at);
      at += piece.length;
    }
    expect(readFileSync(name).equals(Buffer.concat(pieces))).toBe(true);
    closeSync(fd);
  });

  it('takes no group larger than half its ring, nor one the ring has no room for yet', async () => {
    const t = thread();
    const { fd } = file();
    expect(t.takes(2 * MB)).toBe(true);
    expect(t.takes(2 * MB + 1)).toBe(false);
    // Asked in one turn of the loop: none is answered before the loop reads the thread's reply.
    const held = [t.write(fd, bytes('a', 2 * MB), 0), t.write(fd, bytes('b', 1.5 * MB), 2 * MB)];
    expect(t.takes(MB)).toBe(false);
    await expect(t.write(fd, bytes('c', MB), 3.5 * MB)).rejects.toThrow(/behind/);
    await Promise.all(held);
    expect(t.takes(MB)).toBe(true);
    closeSync(fd);
  });

  it('answers a write it could not make with the error', async () => {
    const t = thread();
    await expect(t.write(2_000_000, bytes('a', 10), 0)).rejects.toThrow(/EBADF/);
    // The thread goes on taking requests.
    const { fd, name } = file();
    await t.write(fd, bytes('k', 4), 0);
    expect(readFileSync(name, 'utf8')).toBe('kkkk');
    closeSync(fd);
  });

  it('leaves a group too large for the ring to the event loop and the pool, losing nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'log-sync-thread-test-'));
    dirs.push(dir);
    const t = thread();
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'thread', preallocate: 0, syncer: t });
    const line = 'l'.repeat(1000);
    // About 2.5 MB in one group (appended in one turn of the loop), then a small one.
    await Promise.all(Array.from({ length: 2500 }, () => log.append([line])));
    expect(t.syncs).toBe(0);
    await log.append(['small']);
    expect(t.syncs).toBe(1);
    // One sync by the pool (the large group), one by the thread.
    expect(log.stats()).toMatchObject({ appended: 2501, failures: 0, syncs: 2 });
    await log.close(false);
    const names = readdirSync(dir).filter((f) => f.startsWith('exposures.test.log.'));
    expect(names).toHaveLength(1);
    const lines = readFileSync(path.join(dir, names[0] ?? ''), 'utf8').split('\n');
    expect(lines.filter((l) => l === line)).toHaveLength(2500);
    expect(lines.filter((l) => l === 'small')).toHaveLength(1);
  });
});
