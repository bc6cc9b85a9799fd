import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExposureDoc } from '../../../src/db/exposure.repository.js';
import { ExposureJournal } from '../../../src/domain/assignment/exposure-journal.js';
import { ExposureLog } from '../../../src/domain/assignment/exposure-log.js';
import { ExposureWriter } from '../../../src/domain/assignment/exposure-writer.js';
import { LogSyncThread } from '../../../src/domain/assignment/log-sync-thread.js';

/** Asks the thread only to sync `fd` (a write of no bytes). */
const syncOnly = (thread: LogSyncThread, fd: number) => thread.write(fd, Buffer.alloc(0), 0);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'exposure-log-test-'));
  dirs.push(dir);
  return dir;
}

function doc(unitId: string): ExposureDoc {
  return {
    _id: `exp_1|1|${unitId}`,
    experiment: 'e',
    experimentId: 'exp_1',
    phase: 1,
    variant: 'treatment',
    unit: 'customerId',
    unitId,
    customerId: unitId,
    touchpoint: 't',
    channel: 'web',
    exposedAt: new Date('2026-01-01T00:00:00Z'),
    attributes: {},
    qa: false,
  };
}

function writer(dir: string, log: ExposureLog, stored: Map<string, number>) {
  return new ExposureWriter({
    async save(docs) {
      for (const d of docs) if (!stored.has(d._id)) stored.set(d._id, 1);
    },
    journal: new ExposureJournal(dir, 1_000_000, 'exposures.test'),
    log,
    logger: pino({ level: 'silent' }),
    ping: async () => true,
    flushMs: 60_000,
    recoverMs: 60_000,
  });
}

/**
 * Holds every thread of libuv's pool: each opens a FIFO for reading, which blocks until a writer
 * opens it. `release` opens the writers, freeing the threads.
 */
function blockThreadPool(dir: string) {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifos = Array.from({ length: size }, (_, i) => path.join(dir, `fifo-${i}`));
  for (const f of fifos) execFileSync('mkfifo', [f]);
  const readers: Promise<FileHandle>[] = fifos.map((f) => open(f, 'r'));
  return {
    async release() {
      // A reader blocked in open() already counts, so a non-blocking writer's open succeeds.
      const writers = fifos.map((f) => openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const r of await Promise.all(readers)) await r.close();
      for (const w of writers) closeSync(w);
    },
  };
}

/**
 * Appends one line while every pool thread is held: whether it had landed 50 ms later (before the
 * pool is released), and the lines on disk once it has.
 */
async function appendWhilePoolHeld(dir: string, log: ExposureLog, unitId: string) {
  const pool = blockThreadPool(dir);
  let landed = false;
  const appended = log.append([JSON.stringify(doc(unitId))]).then(() => {
    landed = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  const whileHeld = landed;
  await pool.release();
  await appended;
  const lines = segments(dir).flatMap((f) => linesIn(dir, f));
  return { whileHeld, lines: lines.length };
}

const logFiles = (dir: string) => readdirSync(dir).filter((f) => f.includes('.log.'));
/** The lines in one file of the log, read as a replay would: zeros (the unwritten tail) end a line. */
const linesIn = (dir: string, f: string) =>
  readFileSync(path.join(dir, f), 'utf8')
    .split(/[\n\0]+/)
    .filter((l) => l.length > 0);
/** The size of the log file holding the exposure of this unit. */
const sizeOfSegmentWith = (dir: string, unitId: string) => {
  const file = logFiles(dir).find((f) => linesIn(dir, f).some((l) => l.includes(`"unitId":"${unitId}"`)));
  return statSync(path.join(dir, file ?? '')).size;
};
/** Segments holding lines (the next segment is made ahead, zeros only). */
const segments = (dir: string) => logFiles(dir).filter((f) => linesIn(dir, f).length > 0);

/** 20 waves of 25 appends, each wave while earlier groups are still being written; the lines on disk. */
const dsyncFlag = 0o10000; // O_DSYNC on Linux, as /proc shows it in an fd's octal flags.
/** The open flags of this process's descriptor on `file` (Linux: /proc/self/fdinfo). */
const flagsOf = (file: string): number | undefined => {
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== file) continue;
    const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^flags:\s+([0-7]+)/m);
    return line ? Number.parseInt(line[1] ?? '0', 8) : undefined;
  }
  return undefined;
};

async function appendInWaves(dir: string, log: ExposureLog): Promise<string[]> {
  const waits: Promise<void>[] = [];
  for (let wave = 0; wave < 20; wave++) {
    for (let i = 0; i < 25; i++) waits.push(log.append([JSON.stringify(doc(`w${wave}-${i}`))]));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(waits);
  return segments(dir).flatMap((f) => linesIn(dir, f));
}

describe('exposure log', () => {
  it('resolves an enqueued exposure only once its line is on disk, sharing one sync among a burst', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test');
    const w = writer(dir, log, new Map());
    await Promise.all(Array.from({ length: 200 }, (_, i) => w.enqueue(doc(`c${i}`))));
    const [file] = segments(dir);
    const lines = linesIn(dir, file ?? '');
    expect(lines).toHaveLength(200);
    // Each line is the exposure as JSON, its date as an ISO string (what replay reads back).
    expect(lines[0]).toBe(JSON.stringify(doc('c0')));
    expect(JSON.parse(lines[0] ?? '{}').exposedAt).toBe('2026-01-01T00:00:00.000Z');
    // Group commit: the 200 appends of one burst need far fewer syncs than appends.
    expect(w.stats().logSyncs).toBeLessThan(10);
    expect(w.stats().logged).toBe(200);
    await w.close();
  });

  it('with inline writes, opens its segments for synchronous data writes (O_DSYNC) when syncing, and not when it is off', async () => {
    for (const sync of [true, false]) {
      const dir = folder();
      const w = writer(dir, new ExposureLog(dir, 'exposures.test', { sync, writes: 'inline' }), new Map());
      await w.enqueue(doc('c1'));
      const [file] = segments(dir);
      const flags = flagsOf(path.join(dir, file ?? ''));
      expect(flags).toBeDefined();
      expect(((flags ?? 0) & dsyncFlag) !== 0).toBe(sync);
      await w.close();
    }
  });

  it('keeps every line whole when many groups are written at once', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'pool', maxInFlight: 3 });
    const lines = await appendInWaves(dir, log);
    expect(lines).toHaveLength(500);
    const ids = new Set(lines.map((l) => (JSON.parse(l) as ExposureDoc)._id));
    expect(ids.size).toBe(500);
    expect(ids.has('exp_1|1|w19-24')).toBe(true);
    expect(log.stats()).toMatchObject({ appended: 500, failures: 0 });
    expect(log.stats().syncs).toBeLessThan(500);
    await log.close(true);
  });

  it('when syncing is off, then an exposure resolves once its line is written, with no fdatasync', async () => {
    const dir = folder();
    const w = writer(dir, new ExposureLog(dir, 'exposures.test', { sync: false }), new Map());
    await Promise.all(Array.from({ length: 50 }, (_, i) => w.enqueue(doc(`c${i}`))));
    const [file] = segments(dir);
    const lines = linesIn(dir, file ?? '');
    expect(lines).toHaveLength(50);
    expect(w.stats().logged).toBe(50);
    expect(w.stats().logSyncs).toBe(0);
    await w.close();
  });

  it('deletes a segment once the drain has stored its exposures, and keeps nothing after close', async () => {
    const dir = folder();
    const stored = new Map<string, number>();
    const w = writer(dir, new ExposureLog(dir, 'exposures.test'), stored);
    await Promise.all([w.enqueue(doc('a')), w.enqueue(doc('b'))]);
    expect(segments(dir)).toHaveLength(1);
    await w.flush();
    expect(stored.size).toBe(2);
    expect(segments(dir)).toEqual([]);
    await w.enqueue(doc('c'));
    await w.close();
    expect(stored.has('exp_1|1|c')).toBe(true);
    expect(logFiles(dir)).toEqual([]);
  });

  it('replays the segments a killed process left, storing each exposure once and deleting them', async () => {
    const dir = folder();
    const first = writer(dir, new ExposureLog(dir, 'exposures.test'), new Map());
    // The process "dies" here: the exposures are synced but never flushed to the store.
    await Promise.all(['a', 'b', 'a'].map((u) => first.enqueue(doc(u))));
    expect(segments(dir)).toHaveLength(1);
    const stored = new Map<string, number>([['exp_1|1|a', 1]]);
    const second = writer(dir, new ExposureLog(dir, 'exposures.test'), stored);
    expect(second.idle).toBe(false);
    await second.recover();
    expect([...stored.keys()].sort()).toEqual(['exp_1|1|a', 'exp_1|1|b']);
    expect(second.idle).toBe(true);
    expect(segments(dir)).toEqual([]);
    await second.close();
  });

  it('writes each group over zeros made ahead, and grows the file past them', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { preallocate: 16 * 1024 });
    const line = JSON.stringify(doc('first'));
    await log.append([line]);
    const [file] = segments(dir);
    const bytes = readFileSync(path.join(dir, file ?? ''));
    // Not appended to the end: the line is at the start and the rest is still the zeros.
    expect(bytes.length).toBe(16 * 1024);
    expect(bytes.subarray(0, line.length + 1).toString()).toBe(`${line}\n`);
    expect(bytes.subarray(line.length + 1).every((b) => b === 0)).toBe(true);
    // Every file of the log holds the zeros before it takes a line: the one made ahead too.
    expect(logFiles(dir).map((f) => statSync(path.join(dir, f)).size)).toEqual([16 * 1024, 16 * 1024]);
    const more = Array.from({ length: 200 }, (_, i) => JSON.stringify(doc(`more-${i}`)));
    await Promise.all(more.map((l) => log.append([l])));
    expect(statSync(path.join(dir, file ?? '')).size).toBeGreaterThan(16 * 1024);
    expect(linesIn(dir, file ?? '')).toEqual([line, ...more]);
    await log.close(true);
  });

  it('zero-fills a segment larger than one piece of zeros to exactly the size asked for', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { preallocate: 150_000 });
    await log.append([JSON.stringify(doc('a'))]);
    const [file] = segments(dir);
    const bytes = readFileSync(path.join(dir, file ?? ''));
    expect(bytes.length).toBe(150_000);
    expect(linesIn(dir, file ?? '')).toEqual([JSON.stringify(doc('a'))]);
    expect(bytes.subarray(100_000).every((b) => b === 0)).toBe(true);
    await log.close(true);
  });

  it('gives each new segment twice what the last sealed one held, at least 4 KiB, at most the bound', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { preallocate: 64 * 1024 });
    // Segments are made one seal ahead: the one a seal makes takes lines from the next seal on.
    const busy = Array.from({ length: 60 }, (_, i) => JSON.stringify(doc(`c${i}`)));
    await log.append(busy);
    const held = Buffer.byteLength(`${busy.join('\n')}\n`);
    expect(held).toBeGreaterThan(8 * 1024);
    expect(2 * held).toBeLessThan(64 * 1024);
    const sealed = [log.seal()];
    await log.append([JSON.stringify(doc('trickle'))]);
    sealed.push(log.seal());
    const flood = [
      JSON.stringify(doc('after-busy')),
      ...Array.from({ length: 200 }, (_, i) => JSON.stringify(doc(`f${i}`))),
    ];
    await log.append(flood);
    const flooded = Buffer.byteLength(`${flood.join('\n')}\n`);
    expect(flooded).toBeGreaterThan(2 * held);
    sealed.push(log.seal());
    await log.append([JSON.stringify(doc('after-trickle'))]);
    sealed.push(log.seal());
    await log.append([JSON.stringify(doc('after-flood'))]);
    expect(sizeOfSegmentWith(dir, 'c0')).toBe(1024 * 64);
    expect(sizeOfSegmentWith(dir, 'trickle')).toBe(1024 * 64);
    // Made with 2 x held of zeros; the flood wrote past them and grew the file.
    expect(sizeOfSegmentWith(dir, 'after-busy')).toBe(flooded);
    expect(sizeOfSegmentWith(dir, 'after-trickle')).toBe(4096);
    expect(sizeOfSegmentWith(dir, 'after-flood')).toBe(64 * 1024);
    // Every zero is counted: two segments at the start and one per seal.
    const made = logFiles(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
    expect(log.stats().zeroBytes).toBeGreaterThanOrEqual(2 * 64 * 1024 + 2 * held + 4096 + 64 * 1024);
    expect(log.stats().zeroBytes).toBeLessThanOrEqual(made);
    for (const s of sealed) await s?.retire();
    await log.close(true);
  });

  it('makes the first segments 1 MiB by default, and a segment after a seal exactly twice what it held', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test');
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify(doc(`d${i}`)));
    await log.append(lines);
    const held = Buffer.byteLength(`${lines.join('\n')}\n`);
    const first = log.seal();
    await log.append([JSON.stringify(doc('next'))]);
    // The segment made at the start and the one made ahead of it: both 1 MiB.
    expect(sizeOfSegmentWith(dir, 'd0')).toBe(1024 * 1024);
    expect(sizeOfSegmentWith(dir, 'next')).toBe(1024 * 1024);
    const second = log.seal();
    await log.append([JSON.stringify(doc('sized'))]);
    expect(sizeOfSegmentWith(dir, 'sized')).toBe(2 * held);
    await first?.retire();
    await second?.retire();
    await log.close(true);
  });

  it('writes no zeros ahead when syncing is off', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { sync: false });
    const line = JSON.stringify(doc('a'));
    await log.append([line]);
    const [file] = segments(dir);
    expect(statSync(path.join(dir, file ?? '')).size).toBe(line.length + 1);
    await log.close(true);
  });

  it('replays a segment whose middle group never landed and whose last line was torn, from its whole lines', async () => {
    const dir = folder();
    const [a, b] = [JSON.stringify(doc('a')), JSON.stringify(doc('b'))];
    const torn = JSON.stringify(doc('torn')).slice(0, 40);
    const zeros = (n: number) => '\0'.repeat(n);
    writeFileSync(
      path.join(dir, 'exposures.test.log.00000000000001-1-0'),
      `${a}\n${zeros(300)}${b}\n${torn}${zeros(2000)}`,
    );
    const stored = new Map<string, number>();
    const w = writer(dir, new ExposureLog(dir, 'exposures.test'), stored);
    await w.recover();
    expect([...stored.keys()].sort()).toEqual(['exp_1|1|a', 'exp_1|1|b']);
    expect(w.stats().replayed).toBe(2);
    expect(logFiles(dir).some((f) => f.endsWith('00000000000001-1-0'))).toBe(false);
    await w.close();
  });

  it.each(['inline', 'thread'] as const)(
    'writes %s: an append is on disk while every thread of the pool is busy',
    async (writes) => {
      const dir = folder();
      const log = new ExposureLog(dir, 'exposures.test', { writes });
      await log.append([JSON.stringify(doc('warm'))]); // the segment is open before the pool is taken
      const { whileHeld, lines } = await appendWhilePoolHeld(dir, log, 'a');
      expect(whileHeld).toBe(true);
      expect(lines).toBe(2);
      await log.close(true);
    },
  );

  it('after an inline write slower than its bound, then writes go to the pool for a while', async () => {
    const dir = folder();
    // Every inline write counts as slow: the next ones wait for the pool.
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'inline', slowMs: 0, poolForMs: 60_000 });
    await log.append([JSON.stringify(doc('first'))]);
    expect(log.stats().slowWrites).toBe(1);
    expect((await appendWhilePoolHeld(dir, log, 'second')).whileHeld).toBe(false);
    expect(log.stats()).toMatchObject({ appended: 2, slowWrites: 1, failures: 0 });
    await log.close(true);
  });

  it('with pool writes, then an append waits for a thread of the pool', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'pool' });
    await log.append([JSON.stringify(doc('warm'))]);
    expect((await appendWhilePoolHeld(dir, log, 'a')).whileHeld).toBe(false);
    expect(log.stats()).toMatchObject({ appended: 2, failures: 0 });
    await log.close(true);
  });

  it('refuses the answer when the log cannot be written', async () => {
    const dir = folder();
    const log = new ExposureLog(path.join(dir, 'log'), 'exposures.test');
    // Its files closed and gone under it, as when the disk fails.
    await log.close(true);
    const w = writer(dir, log, new Map());
    await expect(w.enqueue(doc('a'))).rejects.toThrow();
    expect(w.stats().logFailures).toBe(1);
  });
});

describe('exposure log synced by its own thread', () => {
  it('keeps every line whole, and syncs what is written while a sync runs together in the next one', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'thread' });
    const lines = await appendInWaves(dir, log);
    expect(lines).toHaveLength(500);
    expect(new Set(lines.map((l) => (JSON.parse(l) as ExposureDoc)._id)).size).toBe(500);
    expect(log.stats()).toMatchObject({ appended: 500, failures: 0 });
    // 20 waves, one write each: the thread never makes more syncs than writes, usually fewer.
    expect(log.stats().syncs).toBeGreaterThan(0);
    expect(log.stats().syncs).toBeLessThanOrEqual(20);
    await log.close(true);
  });

  it('opens its segments without O_DSYNC: the thread syncs them', async () => {
    const dir = folder();
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'thread' });
    await log.append([JSON.stringify(doc('a'))]);
    const [file] = segments(dir);
    const flags = flagsOf(path.join(dir, file ?? ''));
    expect(flags).toBeDefined();
    expect((flags ?? 0) & dsyncFlag).toBe(0);
    await log.close(true);
  });

  it('syncs through the pool once its thread is gone, losing no append', async () => {
    const dir = folder();
    const thread = new LogSyncThread();
    const log = new ExposureLog(dir, 'exposures.test', { writes: 'thread', syncer: thread });
    await log.append([JSON.stringify(doc('before'))]);
    const byThread = log.stats().syncs;
    await thread.close();
    expect(thread.available).toBe(false);
    await log.append([JSON.stringify(doc('after'))]);
    const lines = segments(dir).flatMap((f) => linesIn(dir, f));
    expect(lines.map((l) => (JSON.parse(l) as ExposureDoc).unitId)).toEqual(['before', 'after']);
    expect(log.stats()).toMatchObject({ appended: 2, failures: 0, syncs: byThread + 1 });
    await log.close(true);
  });

  it('syncs every file named since its last round, and answers a sync it could not make with the error', async () => {
    const thread = new LogSyncThread();
    const dir = folder();
    const a = openSync(path.join(dir, 'a'), 'w', 0o600);
    const b = openSync(path.join(dir, 'b'), 'w', 0o600);
    await Promise.all([syncOnly(thread, a), syncOnly(thread, b), syncOnly(thread, a)]);
    // Two files: two fdatasync calls at least (one each), never more than the three requests.
    expect(thread.syncs).toBeGreaterThanOrEqual(2);
    expect(thread.syncs).toBeLessThanOrEqual(3);
    closeSync(a);
    closeSync(b);
    // A descriptor this process never opened.
    await expect(syncOnly(thread, 2_000_000)).rejects.toThrow(/EBADF/);
    await thread.close();
    await expect(syncOnly(thread, a)).rejects.toThrow(/exited/);
  });

  it('keeps the process alive while a sync is unanswered and until it has stopped', () => {
    const dir = folder();
    const source = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../src/domain/assignment/exposure-log.ts',
    );
    // Nothing else holds the process open: no timer, no server, no zeros written by the pool.
    const program = `import { ExposureLog } from ${JSON.stringify(pathToFileURL(source).href)};
const log = new ExposureLog(${JSON.stringify(dir)}, 'exposures.test', { writes: 'thread', preallocate: 0 });
await log.append(['a']);
await log.append(['b']);
await log.close(false);
console.log('closed', log.stats().appended);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('closed 2');
    expect(segments(dir).flatMap((f) => linesIn(dir, f))).toEqual(['a', 'b']);
  });

  it('when 4,096 syncs are waiting, then it takes no more until it answers (the log then syncs through the pool)', async () => {
    const thread = new LogSyncThread();
    const fd = openSync(path.join(folder(), 'f'), 'w', 0o600);
    // Asked in one turn of the loop: none can be answered before the loop reads the thread's reply.
    const waiting = Array.from({ length: 4096 }, () => syncOnly(thread, fd));
    expect(thread.available).toBe(false);
    await expect(syncOnly(thread, fd)).rejects.toThrow(/behind/);
    await Promise.all(waiting);
    expect(thread.available).toBe(true);
    expect(thread.syncs).toBeLessThan(4096);
    closeSync(fd);
    await thread.close();
  });
});
