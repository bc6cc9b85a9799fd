import { Worker } from 'node:worker_threads';
import type { ExposureDoc } from '../db/exposure.repository.js';
import type { AttributionRunner, AttributorStats } from '../domain/attribution/attributor.js';
import { DomainError, type ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { AttributionThreadData, FromThread, ThreadError, ToThread } from './attribution.protocol.js';
import { threadProgram } from './thread-program.js';

export interface AttributionThreadOptions {
  data: AttributionThreadData;
  logger: Logger;
  /** First pause before a thread that died is started again; it doubles up to 30 s. */
  restartMs?: number;
  /** Sees each thread as it is started (tests end one the way a crash would). */
  onThread?: (worker: Worker) => void;
}

interface Pending {
  resolve: (value: number) => void;
  reject: (err: Error) => void;
}

type Counters = Omit<AttributorStats, 'holder' | 'pending'>;

const NO_COUNTS: Counters = {
  attributedEvents: 0,
  attributedExposures: 0,
  batches: 0,
  replayed: 0,
  failures: 0,
};
const NOT_STARTED: AttributorStats = { holder: false, pending: -1, ...NO_COUNTS };

/** A thread that lived this long before it died is restarted after the first pause again. */
const HEALTHY_MS = 60_000;
const MAX_RESTART_MS = 30_000;

function addCounts(a: Counters, b: Counters): Counters {
  const sum = { ...a };
  for (const k of Object.keys(sum) as (keyof Counters)[]) sum[k] += b[k];
  return sum;
}

function asError(e: ThreadError): Error {
  return e.code ? new DomainError(e.code as ErrorCode, e.message) : new Error(e.message);
}

/**
 * Runs the attributor in a worker thread with a database connection of its own, and offers the
 * service the attributor's own controls over messages. A thread that dies is started again after
 * a pause (requests in flight fail; the queue and the batch records in the database carry the
 * work, so nothing is lost); its lease runs out before the new thread may take the queue over.
 * The thread never keeps the process alive.
 */
export class AttributionThread implements AttributionRunner {
  private worker: Worker | null = null;
  private startedAt = 0;
  private running = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The service's part of exclusive runs, by request id, started when the thread holds the lease. */
  private readonly exclusives = new Map<number, (seq: number) => Promise<void>>();
  private current: AttributorStats = NOT_STARTED;
  /** Counts of threads that died, so the totals never go back. */
  private base: Counters = NO_COUNTS;

  constructor(private readonly opts: AttributionThreadOptions) {}

  start(): void {
    this.running = true;
    this.thread().postMessage({ type: 'start' } satisfies ToThread);
  }

  /** Stops the attributor (it gives the lease up) and then the thread. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.request((id) => ({ type: 'stop', id }));
    } catch (err) {
      this.opts.logger.warn({ err }, 'attribution thread did not stop cleanly');
    }
    await worker.terminate();
  }

  wake(): void {
    this.worker?.postMessage({ type: 'wake' } satisfies ToThread);
  }

  stats(): AttributorStats {
    const { holder, pending, ...counts } = this.current;
    return { holder, pending, ...addCounts(this.base, counts) };
  }

  /**
   * Queues the exposures for attribution and stores them, on the thread's own connection. Fails
   * when the database refused them or the thread died first (the caller journals them).
   */
  async saveExposures(docs: readonly ExposureDoc[]): Promise<void> {
    await this.request((id) => ({ type: 'save-exposures', id, docs }));
  }

  drain(timeoutMs = 120_000): Promise<number> {
    return this.request((id) => ({ type: 'drain', id, timeoutMs }));
  }

  drainOnce(): Promise<number> {
    return this.request((id) => ({ type: 'drain-once', id }));
  }

  /**
   * Runs `fn` here while the thread holds the lease with the queue worked down, as
   * `Attributor.exclusive` does in-process. Settles only once `fn` has, even if the thread dies.
   */
  async exclusive<T>(fn: (seq: number) => Promise<T>): Promise<T> {
    let outcome: { value: T } | { err: unknown } | undefined;
    let ran: Promise<void> | undefined;
    const held = this.request((id) => {
      this.exclusives.set(id, (seq) => {
        // Started from a resolved promise, so even a synchronous throw becomes the run's outcome.
        ran = Promise.resolve(seq)
          .then(fn)
          .then(
            (value) => {
              outcome = { value };
            },
            (err: unknown) => {
              outcome = { err };
            },
          );
        return ran;
      });
      return { type: 'exclusive', id };
    });
    try {
      await held;
    } finally {
      await ran;
    }
    if (!outcome) throw new Error('attribution thread ended the exclusive run before it began');
    if ('err' in outcome) throw outcome.err;
    return outcome.value;
  }

  private request(message: (id: number) => ToThread): Promise<number> {
    const id = this.nextId++;
    const worker = this.thread();
    const answered = new Promise<number>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    worker.postMessage(message(id));
    return answered;
  }

  /** The running thread, or a new one. */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(threadProgram('attribution.worker'), {
      workerData: this.opts.data,
      name: 'attribution',
    });
    worker.unref();
    worker.on('message', (m: FromThread) => this.receive(worker, m));
    worker.on('error', (err) => this.opts.logger.error({ err }, 'attribution thread failed'));
    worker.on('exit', (code) => this.exited(worker, code));
    this.worker = worker;
    this.startedAt = Date.now();
    this.opts.onThread?.(worker);
    return worker;
  }

  private receive(worker: Worker, m: FromThread): void {
    switch (m.type) {
      case 'stats':
        this.current = m.stats;
        return;
      case 'log':
        this.opts.logger[m.level]({ ...m.fields, thread: 'attribution' }, m.msg);
        return;
      case 'exclusive-ready': {
        const work = this.exclusives.get(m.id);
        this.exclusives.delete(m.id);
        const finished = () => worker.postMessage({ type: 'exclusive-done', id: m.id } satisfies ToThread);
        if (work) void work(m.seq).then(finished);
        else finished();
        return;
      }
      case 'done':
      case 'failed': {
        this.current = m.stats;
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.type === 'done') p?.resolve(m.value);
        else p?.reject(asError(m.error));
        return;
      }
    }
  }

  private exited(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const { holder: _holder, pending: _pending, ...counts } = this.current;
    this.base = addCounts(this.base, counts);
    this.current = { ...NOT_STARTED };
    const gone = new Error(`attribution thread exited (${code})`);
    for (const p of this.pending.values()) p.reject(gone);
    this.pending.clear();
    this.exclusives.clear();
    if (!this.running) return;
    if (Date.now() - this.startedAt > HEALTHY_MS) this.restarts = 0;
    const wait = Math.min(MAX_RESTART_MS, (this.opts.restartMs ?? 1000) * 2 ** this.restarts++);
    this.opts.logger.warn({ code, restartInMs: wait }, 'attribution thread exited; starting another');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.running) this.start();
    }, wait);
    this.restartTimer.unref();
  }
}
