import { Worker } from 'node:worker_threads';

/** Sync requests the thread can be behind by: one slot each, holding the descriptor to sync. */
const RING_SIZE = 4096;

/**
 * The thread's whole program. It never runs an event loop: it sleeps in `Atomics.wait` until the
 * count of requests moves, syncs every descriptor named by the requests since it last looked (one
 * fdatasync each, however many requests named it), then posts the count it has made durable.
 * Requests that arrive while it syncs are taken together on the next round.
 * Plain JavaScript evaluated in the worker, so it needs no loader and no file beside the build.
 */
const PROGRAM = `
const { workerData, parentPort } = require('node:worker_threads');
const { fdatasyncSync } = require('node:fs');
const count = new BigInt64Array(workerData.count);
const ring = new Int32Array(workerData.ring);
const SIZE = ${RING_SIZE};
let seen = 0n;
for (;;) {
  Atomics.wait(count, 0, seen);
  if (Atomics.load(count, 1) !== 0n) break;
  const head = Atomics.load(count, 0);
  const fds = new Set();
  for (let g = seen + 1n; g <= head; g++) fds.add(Atomics.load(ring, Number(g % BigInt(SIZE))));
  let error;
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
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One thread of its own that makes the exposure log durable: the event loop writes a group into
 * the file (the operating system's cache, a few microseconds) and asks this thread to sync it;
 * the loop goes on serving requests meanwhile, and the thread syncs everything written since its
 * last sync in one fdatasync, so a request waits for at most the sync in progress and its own.
 * The hand-over is a shared counter (no message, no copy); only the answer is a message. When
 * the thread dies, the syncs it held and every later one fail (the log then syncs through the pool).
 */
export class LogSyncThread {
  private readonly worker: Worker;
  /** [0]: requests made so far; [1]: non-zero once the thread is to stop. */
  private readonly count: BigInt64Array;
  private readonly ring: Int32Array;
  private requested = 0;
  private synced = 0;
  private waiters: Waiter[] = [];
  private dead: Error | null = null;
  private readonly exited: Promise<void>;
  /** The last sync asked for: answers come in order, so it settles after every earlier one. */
  private last: Promise<unknown> = Promise.resolve();
  /** fdatasync calls the thread has made. */
  syncs = 0;

  constructor() {
    const count = new SharedArrayBuffer(16);
    const ring = new SharedArrayBuffer(RING_SIZE * 4);
    this.count = new BigInt64Array(count);
    this.ring = new Int32Array(ring);
    this.worker = new Worker(PROGRAM, {
      eval: true,
      // None of the service's flags: the program is CommonJS whatever they say (--input-type) and
      // needs no loader (--import).
      execArgv: [],
      name: 'exposure-log-sync',
      workerData: { count, ring },
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

  /** Resolves once everything written to `fd` before this call is on disk. */
  sync(fd: number): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    if (!this.available) return Promise.reject(new Error('exposure log sync thread is behind'));
    const request = ++this.requested;
    Atomics.store(this.ring, request % RING_SIZE, fd);
    Atomics.store(this.count, 0, BigInt(request));
    Atomics.notify(this.count, 0);
    // An idle thread never keeps the process alive; one with a sync to answer does.
    if (this.waiters.length === 0) this.worker.ref();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ request, resolve, reject }));
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
    for (const w of this.waiters.splice(0, n)) {
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
