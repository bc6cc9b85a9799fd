import { constants, mkdirSync, readdirSync, writeSync } from 'node:fs';
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LogSyncThread } from './log-sync-thread.js';

interface Segment {
  file: string;
  /** Opened, zero-filled and its folder synced as soon as the segment is made, off the request path. */
  opened: Promise<FileHandle>;
  lines: number;
  /** Bytes given to writes so far: the next write goes at this offset. */
  offset: number;
  /** Every write into this segment so far; retiring waits for it. */
  last: Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A segment that no longer takes appends; `retire()` deletes it once its docs are stored. */
export interface SealedSegment {
  readonly file: string;
  retire(): Promise<void>;
}

export interface ExposureLogStats {
  appended: number;
  /** Synced writes (inline, pool), or fdatasync calls (thread writes). */
  syncs: number;
  failures: number;
  /** Inline writes slower than `slowMs`, each sending the next writes to the thread pool for a while. */
  slowWrites: number;
  /** Bytes of zeros written ahead into new segments. */
  zeroBytes: number;
}

/** The counters of a log that has done nothing yet (or of none). */
export const NO_LOG_STATS: Readonly<ExposureLogStats> = {
  appended: 0,
  syncs: 0,
  failures: 0,
  slowWrites: 0,
  zeroBytes: 0,
};

export interface ExposureLogOptions {
  /** Extra wait before a group is written when no write is running (0: the next turn of the loop). */
  groupMs?: number;
  /**
   * Each group durable before it is answered (survives the machine going down); false:
   * the group is answered once written to the operating system, which keeps it when this
   * process dies, however it dies. Default true.
   */
  sync?: boolean;
  /**
   * 'thread' (default): handed by the event loop to a thread of the log's own through shared
   * memory; the thread writes it and syncs everything written since its last sync at once, so the
   * loop never waits for the file or the disk.
   * 'inline': each group is written and synced by the event loop itself, which waits for the disk
   * (a fraction of a millisecond on a local disk, all of it lost to serving requests) but never
   * for another thread to be scheduled.
   * 'pool': written by libuv's pool, up to `maxInFlight` groups at once, the loop free meanwhile
   * (for slow or network disks).
   */
  writes?: 'inline' | 'pool' | 'thread';
  /**
   * Groups written at once: each pool write holds a thread of libuv's pool (default 3 of its 4);
   * thread writes: 1,024 (their syncs are gathered by the thread).
   */
  maxInFlight?: number;
  /**
   * An inline write slower than this (ms, default 20) holds the loop too long: the next writes go to
   * the pool for `poolForMs` (default 10 s) before the log tries inline again.
   */
  slowMs?: number;
  poolForMs?: number;
  /** Thread writes: the thread that writes and syncs (default: one of its own); `close()` stops it. */
  syncer?: LogSyncThread;
  /**
   * The most bytes of zeros written into a new segment before its first append (when syncing;
   * default 64 MiB, 0: none). A synced write over blocks that already hold data changes no file
   * size or block map, so the disk has only the data to make durable; past the zeros writes grow
   * the file. A segment gets twice what the last sealed one held (at least 4 KiB, so a trickle
   * writes little more than its data), the first ones 1 MiB.
   */
  preallocate?: number;
}

/** Zeros for the segments made before any seal, and the fewest a segment gets after one. */
const FIRST_ZEROS = 1024 * 1024;
const FEWEST_ZEROS = 4096;
/** What a segment's zeros are written with, one piece at a time. */
const ZEROS = Buffer.alloc(64 * 1024);

function writeAll(fd: number, data: Buffer, at: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, at + done);
}

/**
 * The write-ahead log of answered exposures: an assignment is answered only once its exposures are
 * on disk here. Appends are group-committed: the lines appended during one turn of the event loop
 * (and, for pool writes, while the writes in flight run) go out together in one write, so many
 * requests share it. Thread writes (the service's default) hand each group to the log's own
 * thread, which writes it at its offset and syncs everything written since its last sync in one
 * fdatasync, so the groups of several turns share a sync. Inline and pool writes
 * open the file with O_DSYNC, so one write call both appends a group and makes it durable: inline
 * on the event loop, pool on libuv's thread pool, up to `maxInFlight` at once (Linux lets their
 * syncs overlap). Groups written at once may land in either order: replay does not depend on the
 * order (exposure ids are deterministic and storing one twice is a no-op). The log is cut into
 * segments; the exposure writer seals the current segment before it drains its buffer and deletes
 * the sealed one once that drain has stored (or journaled) every exposure, so a segment on disk at
 * start-up holds exposures that may be missing from the database, and replaying it is safe.
 * Segments are zero-filled ahead (`preallocate`) and each group is written at an offset given
 * out in commit order, so groups written at once never overlap; a group that never landed leaves
 * zeros, which replay reads as the end of a line, like the zero-filled tail.
 */
export class ExposureLog {
  private readonly prefix: string;
  private current: Segment;
  /** The next segment, made ahead so a seal never puts a file creation before an answer. */
  private spare: Segment;
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;
  private seq = 0;
  /** Segments an earlier process left behind, oldest first. */
  private readonly left: string[];
  private readonly counters: ExposureLogStats = { ...NO_LOG_STATS };
  private readonly opts: Required<Omit<ExposureLogOptions, 'syncer'>>;
  /** Zeros for the next segment made: grows with what the segments sealed so far held. */
  private nextSize: number;
  /** Until when (epoch ms) writes go to the pool after a slow inline write. */
  private poolUntil = 0;
  private readonly thread: LogSyncThread | null;

  constructor(
    readonly dir: string,
    name: string,
    options: ExposureLogOptions = {},
  ) {
    const { syncer, ...rest } = options;
    const writes = rest.writes ?? 'thread';
    this.opts = {
      groupMs: 0,
      sync: true,
      writes,
      maxInFlight: writes === 'thread' ? 1024 : 3,
      slowMs: 20,
      poolForMs: 10_000,
      preallocate: 64 * 1024 * 1024,
      ...rest,
    };
    this.nextSize = this.opts.sync ? Math.min(this.opts.preallocate, FIRST_ZEROS) : 0;
    this.thread = this.opts.writes === 'thread' && this.opts.sync ? (syncer ?? new LogSyncThread()) : null;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.prefix = `${name}.log.`;
    this.left = readdirSync(dir)
      .filter((f) => f.startsWith(this.prefix))
      .sort()
      .map((f) => path.join(dir, f));
    this.current = this.newSegment();
    this.spare = this.newSegment();
  }

  private newSegment(): Segment {
    const stamp = `${Date.now().toString().padStart(14, '0')}-${process.pid}-${this.seq++}`;
    const file = path.join(this.dir, `${this.prefix}${stamp}`);
    const opened = this.openSegment(file, this.nextSize);
    // A failure surfaces on the first write into the segment (the answer is then refused).
    opened.catch(() => undefined);
    return { file, opened, lines: 0, offset: 0, last: Promise.resolve() };
  }

  private async openSegment(file: string, zeros: number): Promise<FileHandle> {
    // Customer ids inside: readable by the service's user only.
    const { O_WRONLY, O_CREAT, O_DSYNC } = constants;
    // Thread writes sync with fdatasync on the log's thread instead.
    const dsync = this.opts.sync && !this.thread;
    const flags = O_WRONLY | O_CREAT | (dsync ? O_DSYNC : 0);
    const handle = await open(file, flags, 0o600);
    try {
      // In small synced writes: a synced append waits for whatever the disk has in flight, so one
      // large write here would hold up every answer for as long as it takes.
      for (let at = 0; at < zeros; at += ZEROS.length) {
        const { bytesWritten } = await handle.write(ZEROS, 0, Math.min(ZEROS.length, zeros - at), at);
        if (!dsync) await handle.datasync();
        this.counters.zeroBytes += bytesWritten;
      }
      await this.syncDir();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return handle;
  }

  /** Resolves once these lines, and every line appended before them, are on disk. */
  append(lines: readonly string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      for (const l of lines) this.pending.push(l);
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.maxInFlight || this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      void this.commit();
    };
    if (this.opts.groupMs > 0) setTimeout(go, this.opts.groupMs);
    else setImmediate(go);
  }

  private async commit(): Promise<void> {
    const lines = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    if (waiters.length === 0) return;
    this.inFlight++;
    const segment = this.current;
    const write = lines.length > 0 ? this.write(segment, lines) : segment.last;
    const previous = segment.last;
    segment.last = Promise.all([previous, write.catch(() => undefined)]).then(() => undefined);
    try {
      await write;
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.counters.failures++;
      for (const w of waiters) w.reject(err);
    } finally {
      this.inFlight--;
      if (this.waiters.length > 0) this.schedule();
    }
  }

  private async write(segment: Segment, lines: readonly string[]): Promise<void> {
    const data = Buffer.from(`${lines.join('\n')}\n`);
    // The group's place, given out in commit order before any wait, so concurrent groups never overlap.
    const at = segment.offset;
    segment.offset += data.length;
    const handle = await segment.opened;
    // Inline and pool writes go to a file opened with O_DSYNC: the write returns once it is on disk.
    if (this.opts.writes === 'thread') await this.writeThenSync(handle, data, at);
    else if (this.opts.writes === 'inline' && Date.now() >= this.poolUntil)
      this.writeInline(handle.fd, data, at);
    else {
      let done = 0;
      while (done < data.length)
        done += (await handle.write(data, done, data.length - done, at + done)).bytesWritten;
    }
    if (this.opts.sync && this.opts.writes !== 'thread') this.counters.syncs++;
    segment.lines += lines.length;
    this.counters.appended += lines.length;
  }

  /**
   * Hands the group to the log's thread, which writes and syncs it; when the thread is gone or far
   * behind, the event loop writes it and the pool syncs it. Not syncing: written on the event loop.
   */
  private async writeThenSync(handle: FileHandle, data: Buffer, at: number): Promise<void> {
    if (this.thread?.takes(data.length)) return this.thread.write(handle.fd, data, at);
    writeAll(handle.fd, data, at);
    if (!this.thread) return; // not syncing
    await handle.datasync();
    this.counters.syncs++;
  }

  /** Writes on the event loop; a slow disk sends the next writes to the pool for a while. */
  private writeInline(fd: number, data: Buffer, at: number): void {
    const started = performance.now();
    writeAll(fd, data, at);
    if (performance.now() - started > this.opts.slowMs) {
      this.counters.slowWrites++;
      this.poolUntil = Date.now() + this.opts.poolForMs;
    }
  }

  /** A new file's name survives a power loss only once its folder is synced, so each new segment syncs it. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } catch {
      // Some file systems refuse fsync on a folder; the data itself is still synced.
    } finally {
      await dir.close();
    }
  }

  /** Stops appends to the current segment (when it holds lines) and starts a new one. */
  seal(): SealedSegment | null {
    const segment = this.current;
    if (segment.lines === 0 && this.inFlight === 0) return null;
    if (this.nextSize > 0)
      this.nextSize = Math.min(this.opts.preallocate, Math.max(FEWEST_ZEROS, segment.offset * 2));
    this.current = this.spare;
    this.spare = this.newSegment();
    return { file: segment.file, retire: () => this.drop(segment) };
  }

  private async drop(segment: Segment): Promise<void> {
    await segment.last;
    await segment.opened.then((h) => h.close()).catch(() => undefined);
    await unlink(segment.file).catch(() => undefined);
  }

  /** Segments left by an earlier process (or kept after a failed drain), to replay. */
  leftovers(): readonly string[] {
    return this.left;
  }

  keep(file: string): void {
    if (!this.left.includes(file)) this.left.push(file);
  }

  /** The lines of a segment: zeros (its unwritten tail, a group that never landed) end a line. */
  async read(file: string): Promise<string[]> {
    try {
      return (await readFile(file, 'utf8')).split(/[\n\0]+/).filter((l) => l.length > 0);
    } catch {
      return [];
    }
  }

  /** Deletes a replayed leftover segment. */
  async remove(file: string): Promise<void> {
    await unlink(file).catch(() => undefined);
    const i = this.left.indexOf(file);
    if (i >= 0) this.left.splice(i, 1);
  }

  stats(): ExposureLogStats {
    return { ...this.counters, syncs: this.counters.syncs + (this.thread?.syncs ?? 0) };
  }

  /** Waits for the last write and closes the current segment, deleting it when it holds nothing. */
  async close(retireCurrent: boolean): Promise<void> {
    await this.drop(this.spare);
    const segment = this.current;
    if (retireCurrent || segment.lines === 0) await this.drop(segment);
    else {
      await segment.last;
      await segment.opened.then((h) => h.close()).catch(() => undefined);
    }
    await this.thread?.close();
  }
}
