import { Worker } from 'node:worker_threads';

/** Requests the thread can be behind by: one slot each (descriptor, bytes' place and count, offset). */
const RING_SIZE = 4096;
/** Bytes the requests waiting for the thread may hold; a larger group is written by the caller. */
const RING_BYTES = 4 * 1024 * 1024;

/**
 * The thread's whole program. It never runs an event loop: it sleeps in `Atomics.wait` until the
 * count of requests moves, writes the bytes of every request since it last looked at its offset
 * (from the shared byte ring), syncs every descriptor they named (one fdatasync each, however many
 * requests named it), then posts the count it has made durable. Requests that arrive while it
 * works are taken together on the next round.
 * Plain JavaScript evaluated in the worker, so it needs no loader and no file beside the build.
 */
const PROGRAM = `
const { workerData, parentPort } = require('node:worker_threads');
const { fdatasyncSync, writeSync } = require('node:fs');
const count = new BigInt64Array(workerData.count);
const ring = new Int32Array(workerData.ring);
const offsets = new Float64Array(workerData.offsets);
const bytes = Buffer.from(workerData.bytes);
const SIZE = ${RING_SIZE};
let seen = 0n;
for (;;) {
  Atomics.wait(count, 0, seen);
  if (Atomics.load(count, 1) !== 0n) break;
  const head = Atomics.load(count, 0);
  const fds = new Set();
  let error;
  for (let g = seen + 1n; g <= head; g++) {
    const slot = Number(g % BigInt(SIZE)) * 3;
    const fd = Atomics.load(ring, slot);
    const start = Atomics.load(ring, slot + 1);
    const length = Atomics.load(ring, slot + 2);
    const at = offsets[slot / 3];
    fds.add(fd);
    try {
      let done = 0;
      while (done < length) done += writeSync(fd, bytes, start + done, length - done, at + done);
    } catch (err) {
      error = String(err && err.message ? err.message : err);
    }
  }
  for (const fd of fds) {
    try {
      fdatasyncSync(fd);
    } catch (err) {
      error = String(err && err.message ? err.message : err);
    }
  }
  seen = head;
  const reply = { head: Number(head), syncs: fds.size };
  parentPort.postMessage(error === undefined ? reply : { ...reply, error });
}
`;

interface Reply {
  head: number;
  /** fdatasync calls made for it. */
  syncs: number;
  error?: string;
}

interface Waiter {
  request: number;
  /** Bytes of the ring given out up to and including this request's. */
  end: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One thread of its own that makes the exposure log durable: the event loop copies a group into a
 * shared ring (no system call) and asks this thread to write it at its offset and sync it; the
 * loop goes on serving requests meanwhile, never waiting on the file, and the thread syncs
 * everything written since its last round in one fdatasync per file, so a request waits for at
 * most the round in progress and its own. The hand-over is shared memory and a counter (no
 * message, no system call while the thread is busy); only the answer is a message. When the thread
 * dies, the requests it held and every later one fail (the log then writes and syncs through the
 * pool).
 */
export class LogSyncThread {
  private readonly worker: Worker;
  /** [0]: requests made so far; [1]: non-zero once the thread is to stop. */
  private readonly count: BigInt64Array;
  /** Per slot: descriptor, start in `bytes`, length. */
  private readonly ring: Int32Array;
  /** Per slot: the file offset the bytes go to. */
  private readonly offsets: Float64Array;
  private readonly bytes: Buffer;
  private requested = 0;
  private synced = 0;
  /** Bytes of the ring given out so far, and freed so far (both only grow). */
  private reserved = 0;
  private released = 0;
  private waiters: Waiter[] = [];
  private dead: Error | null = null;
  private readonly exited: Promise<void>;
  /** The last request made: answers come in order, so it settles after every earlier one. */
  private last: Promise<unknown> = Promise.resolve();
  /** fdatasync calls the thread has made. */
  syncs = 0;

  constructor() {
    const count = new SharedArrayBuffer(16);
    const ring = new SharedArrayBuffer(RING_SIZE * 3 * 4);
    const offsets = new SharedArrayBuffer(RING_SIZE * 8);
    const bytes = new SharedArrayBuffer(RING_BYTES);
    this.count = new BigInt64Array(count);
    this.ring = new Int32Array(ring);
    this.offsets = new Float64Array(offsets);
    this.bytes = Buffer.from(bytes);
    this.worker = new Worker(PROGRAM, {
      eval: true,
      // None of the service's flags: the program is CommonJS whatever they say (--input-type) and
      // needs no loader (--import).
      execArgv: [],
      name: 'exposure-log-sync',
      workerData: { count, ring, offsets, bytes },
    });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => this.answered(m));
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const w of this.waiters) w.reject(err);
      this.waiters = [];
    };
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exposure log sync thread exited (${code})`)));
  }

  /** False once the thread is gone, or when it is so far behind that a request has no slot. */
  get available(): boolean {
    return this.dead === null && this.requested - this.synced < RING_SIZE;
  }

  /** Whether `write` takes this many bytes now: the thread is there and the ring has the room. */
  takes(length: number): boolean {
    return this.available && length <= RING_BYTES / 2 && this.place(length) !== null;
  }

  /** Where `length` bytes go in the ring (at its start when they would not fit before its end). */
  private place(length: number): { start: number; used: number } | null {
    const at = this.reserved % RING_BYTES;
    const skipped = at + length > RING_BYTES ? RING_BYTES - at : 0;
    const used = skipped + length;
    if (this.reserved + used - this.released > RING_BYTES) return null;
    return { start: skipped > 0 ? 0 : at, used };
  }

  /**
   * Resolves once `data` is written to `fd` at offset `at` and on disk, with everything written to
   * `fd` before (no data: only that). Refused when the ring has no room for it (see `takes`).
   */
  write(fd: number, data: Buffer, at: number): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const place = this.available ? this.place(data.length) : null;
    if (!place) return Promise.reject(new Error('exposure log sync thread is behind'));
    data.copy(this.bytes, place.start);
    this.reserved += place.used;
    const request = ++this.requested;
    const slot = request % RING_SIZE;
    this.offsets[slot] = at;
    Atomics.store(this.ring, slot * 3, fd);
    Atomics.store(this.ring, slot * 3 + 1, place.start);
    Atomics.store(this.ring, slot * 3 + 2, data.length);
    // The count is stored last: the thread reads a slot only once the count says it is there.
    Atomics.store(this.count, 0, BigInt(request));
    Atomics.notify(this.count, 0);
    // An idle thread never keeps the process alive; one with a request to answer does.
    if (this.waiters.length === 0) this.worker.ref();
    const end = this.reserved;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ request, end, resolve, reject }));
    this.last = done.catch(() => undefined);
    return done;
  }

  private answered(m: Reply): void {
    const { head } = m;
    const error = m.error === undefined ? null : new Error(m.error);
    this.syncs += m.syncs;
    this.synced = Math.max(this.synced, head);
    let n = 0;
    while (n < this.waiters.length && (this.waiters[n]?.request ?? Infinity) <= head) n++;
    const answered = this.waiters.splice(0, n);
    this.released = answered.at(-1)?.end ?? this.released;
    for (const w of answered) {
      if (error) w.reject(error);
      else w.resolve();
    }
    if (this.waiters.length === 0) this.worker.unref();
  }

  /** Stops the thread once the syncs asked of it are answered. */
  async close(): Promise<void> {
    await this.last;
    this.dead ??= new Error('exposure log sync thread exited (stopped)');
    this.worker.ref(); // until it has exited
    Atomics.store(this.count, 1, 1n);
    Atomics.add(this.count, 0, 1n);
    Atomics.notify(this.count, 0);
    await this.exited;
  }
}
