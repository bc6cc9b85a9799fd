import { Worker } from 'node:worker_threads';

/**
 * The thread's whole program: each message is one write (an fd, the text and its offset, or none
 * to append), written with writeSync until every byte is out, then answered with its id (and the
 * error when it failed).
 * Plain JavaScript evaluated in the worker, so it needs no loader and no file beside the build.
 */
const PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
parentPort.on('message', (m) => {
  try {
    const data = Buffer.from(m.text);
    let done = 0;
    while (done < data.length) {
      done += m.at === undefined
        ? writeSync(m.fd, data, done)
        : writeSync(m.fd, data, done, data.length - done, m.at + done);
    }
    parentPort.postMessage({ id: m.id });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message ? err.message : err) });
  }
});
`;

interface Reply {
  id: number;
  error?: string;
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One thread of its own that writes the exposure log: the event loop hands it a group and goes on
 * serving requests while the disk syncs it, and the thread is never queued behind other work of
 * libuv's shared pool. Writes run one after another in the order given. When the thread dies, the
 * writes it held and every later one fail (the log then sends its writes to the pool).
 */
export class LogWriteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | null = null;
  /** The last write handed over: the thread answers in order, so it settles after every earlier one. */
  private last: Promise<unknown> = Promise.resolve();

  constructor() {
    this.worker = new Worker(PROGRAM, { eval: true, name: 'exposure-log-writer' });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve();
    });
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exposure log writer thread exited (${code})`)));
  }

  get alive(): boolean {
    return this.dead === null;
  }

  /**
   * Writes `text` to `fd` at offset `at` (appends without one); resolves once every byte is
   * written (and, with O_DSYNC, on disk).
   */
  write(fd: number, text: string, at?: number): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.last = done.catch(() => undefined);
    this.worker.postMessage(at === undefined ? { id, fd, text } : { id, fd, text, at });
    return done;
  }

  /** Stops the thread once the writes handed to it are done. */
  async close(): Promise<void> {
    await this.last;
    this.dead ??= new Error('exposure log writer thread exited (stopped)');
    await this.worker.terminate();
  }
}
