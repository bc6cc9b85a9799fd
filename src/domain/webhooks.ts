import type { WebhookDelivery } from '../db/alert.repository.js';
import type { Logger } from '../logger.js';
import type { AlertWebhookBody } from './schemas/alert.schema.js';

export interface WebhookOptions {
  urls: readonly string[];
  /** Attempts per URL, the first included. */
  attempts?: number;
  /** Delay before the second attempt; doubles for each later one. */
  baseDelayMs?: number;
  timeoutMs?: number;
  log: (d: WebhookDelivery) => Promise<void>;
  logger?: Logger;
}

/**
 * POSTs alert bodies to every configured URL in the background, retrying failures (network error,
 * timeout or a non-2xx answer) with exponential backoff and logging every attempt. A receiver that
 * is down never slows a refresh: `notify` returns at once, and `drain` waits for what is in flight.
 */
export class WebhookNotifier {
  private readonly pending = new Set<Promise<void>>();
  /** Backoff waits in progress, ended early by `close()`. */
  private readonly waits = new Set<() => void>();
  private closing = false;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: WebhookOptions) {
    this.attempts = opts.attempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  notify(body: AlertWebhookBody): void {
    for (const url of this.opts.urls) {
      const p = this.deliver(url, body).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * For shutdown: every delivery in flight finishes its current attempt (bounded by the timeout)
   * and is logged, but none waits out a backoff for another try, so a receiver that is down cannot
   * hold the process past its shutdown limit.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const wake of this.waits) wake();
    await this.drain();
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waits.add(wake);
    });
  }

  private async deliver(url: string, body: AlertWebhookBody): Promise<void> {
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let httpStatus: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'nudgelab-alerts' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        httpStatus = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) error = `HTTP ${res.status}`;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const ok = error === null;
      await this.opts
        .log({
          alertId: body.alert.id,
          type: body.type,
          url,
          attempt,
          ok,
          httpStatus,
          error,
          at: new Date().toISOString(),
        })
        .catch((err) => this.opts.logger?.error({ err }, 'could not log a webhook delivery'));
      if (ok) return;
      if (this.closing) break;
      if (attempt < this.attempts) await this.backoff(this.baseDelayMs * 2 ** (attempt - 1));
      if (this.closing) break;
    }
    this.opts.logger?.warn(
      { url, alert: body.alert.id, shuttingDown: this.closing },
      'webhook delivery gave up',
    );
  }
}
