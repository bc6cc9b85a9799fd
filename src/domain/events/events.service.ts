import type { AttributionQueueRepository } from '../../db/attribution-queue.repository.js';
import type { EventDoc, EventRepository } from '../../db/event.repository.js';
import { eventKey } from '../../db/models/event.model.js';
import { queuedEvent } from '../attribution/queue-items.js';
import { type FieldIssue, validationError } from '../errors.js';
import { findOperatorKeys, issuesOf } from '../validate.js';
import {
  type EventInput,
  type EventsResponse,
  eventInputSchema,
  MAX_EVENTS_PER_BATCH,
} from './event.schema.js';
import type { UnmatchedEvents } from './unmatched-events.js';

function toDoc(e: EventInput, source: string, receivedAt: Date): EventDoc {
  const doc: EventDoc = {
    _id: eventKey(source, e.eventId),
    eventId: e.eventId,
    source,
    customerId: e.customerId,
    type: e.type,
    name: e.type === 'conversion' || e.type === 'metric' ? e.name : e.type,
    occurredAt: new Date(e.occurredAt),
    receivedAt,
  };
  if (e.type === 'revenue') {
    doc.value = e.amount;
    doc.currency = e.currency;
  } else if (e.type !== 'conversion') {
    doc.value = e.value;
  }
  if (e.touchpoint) doc.touchpoint = e.touchpoint;
  if (e.channel) doc.channel = e.channel;
  if (e.properties) doc.properties = e.properties;
  return doc;
}

/**
 * Outcome capture: each item is validated on its own, valid items are stored even when others are
 * rejected, and `eventId` makes every write idempotent within its source (the sending key): two
 * keys may use the same `eventId` for different events, and neither can pre-claim the other's. The answer comes after the write is
 * acknowledged; attribution runs behind it, from the attribution queue.
 */
export class EventsService {
  constructor(
    private readonly repo: EventRepository,
    private readonly queue: AttributionQueueRepository,
    /** Told after a write that stored new events (wakes the attributor). */
    private readonly stored: () => void = () => undefined,
    /** Finds the events no experiment reads, so the sender hears of a misspelt name at once. */
    private readonly unmatched?: UnmatchedEvents,
  ) {}

  /** Splits the body into items: one event, or `{events: [...]}` with 1 to 1,000 items. */
  items(body: unknown): unknown[] {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw validationError([{ path: '(root)', reason: 'must be one event or {events: [...]}' }]);
    }
    if (!('events' in body)) return [body];
    const events = (body as { events: unknown }).events;
    if (!Array.isArray(events)) throw validationError([{ path: 'events', reason: 'must be an array' }]);
    if (events.length === 0 || events.length > MAX_EVENTS_PER_BATCH) {
      throw validationError([{ path: 'events', reason: `must hold 1 to ${MAX_EVENTS_PER_BATCH} events` }]);
    }
    if (Object.keys(body).length > 1) {
      throw validationError([{ path: '(root)', reason: 'a batch has only the field "events"' }]);
    }
    return events;
  }

  /** `source`: the id of the key that sends the events. */
  async capture(body: unknown, source: string): Promise<EventsResponse> {
    const items = this.items(body);
    const single = !('events' in (body as object));
    const receivedAt = new Date();
    const rejected: EventsResponse['rejected'] = [];
    const byId = new Map<string, EventDoc>();
    let duplicates = 0;
    items.forEach((item, index) => {
      const operators = findOperatorKeys(item);
      const issues: FieldIssue[] = operators.length > 0 ? operators.slice(0, 1) : [];
      if (issues.length === 0) {
        const parsed = eventInputSchema.safeParse(item);
        if (parsed.success) {
          // The first item with an id wins; a repeat inside the same batch is a duplicate like a resend.
          if (byId.has(parsed.data.eventId)) duplicates++;
          else byId.set(parsed.data.eventId, toDoc(parsed.data, source, receivedAt));
          return;
        }
        issues.push(...issuesOf(parsed.error));
      }
      // One entry per field, so each message is about the field it names.
      for (const i of issues) {
        rejected.push({ index, code: 'validation_failed', field: i.path, message: i.reason });
      }
    });
    // A lone event that is refused is a refused request, not a 200 with nothing stored.
    if (single && rejected.length > 0) {
      throw validationError(rejected.map((r) => ({ path: r.field, reason: r.message })));
    }
    const docs = [...byId.values()];
    const unmatched = (await this.unmatched?.check(docs)) ?? [];
    if (docs.length === 0) return { accepted: 0, duplicates, rejected, unmatched };
    const result = await this.store(docs);
    if (result.inserted > 0) this.stored();
    return {
      accepted: result.inserted,
      duplicates: duplicates + docs.length - result.inserted,
      rejected,
      unmatched,
    };
  }

  /**
   * Queues the events for attribution (marked unready) before storing them, then marks the entry
   * ready with only the events that were new. A process that dies between the steps leaves an
   * unready entry, which the attributor resolves against the stored events, so an acknowledged
   * event is always attributed and an event that was never stored never is.
   */
  private async store(docs: EventDoc[]): Promise<{ inserted: number }> {
    const items = docs.map(queuedEvent);
    const entry = await this.queue.add(items, false);
    let result: Awaited<ReturnType<EventRepository['insertDurable']>>;
    try {
      result = await this.repo.insertDurable(docs);
    } catch (err) {
      await this.queue.remove([entry]).catch(() => undefined);
      throw err;
    }
    const dup = result.duplicates;
    if (dup === null || dup.size === 0) await this.queue.markReady(entry);
    else if (dup.size === docs.length) await this.queue.remove([entry]);
    else
      await this.queue.markReady(
        entry,
        items.filter((_, i) => !dup.has(i)),
      );
    return { inserted: result.inserted };
  }
}
