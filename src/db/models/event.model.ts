import { type Connection, type Model, Schema } from 'mongoose';

/**
 * One outcome event. `_id` is the sending key's id and the caller's `eventId` (the idempotency
 * key, see `eventKey`), so a retried or resent event can never be stored twice, and one source can
 * never claim (or overwrite the meaning of) another source's event ids. `value` carries the number of every numeric type
 * (csat, nps, ces, metric value, revenue amount) so attribution reads one field.
 */
export interface EventDoc {
  _id: string;
  /** The id the sender gave; unique per source only. */
  eventId: string;
  /** Who sent it: the API key's id, or `import` for CSV imports. */
  source: string;
  customerId: string;
  type: 'conversion' | 'csat' | 'nps' | 'ces' | 'revenue' | 'metric';
  /** Conversion and metric name; for csat, nps, ces and revenue the type itself. */
  name: string;
  value?: number;
  currency?: string;
  occurredAt: Date;
  receivedAt: Date;
  touchpoint?: string;
  channel?: string;
  properties?: Record<string, unknown>;
}

/**
 * Indexes: `_id` only. Attribution reaches a customer's events through the customer's unit
 * document, never by querying this collection; the full recompute reads it whole.
 */
/** The stored `_id` of a source's event: ids are namespaced per source (key ids hold no `|`). */
export function eventKey(source: string, eventId: string): string {
  return `${source}|${eventId}`;
}

export function eventModel(connection: Connection): Model<EventDoc> {
  if (connection.models.Event) return connection.models.Event as Model<EventDoc>;
  const schema = new Schema<EventDoc>(
    {
      _id: { type: String, required: true },
      eventId: { type: String, required: true },
      source: { type: String, required: true },
      customerId: { type: String, required: true },
      type: { type: String, required: true },
      name: { type: String, required: true },
      value: { type: Number },
      currency: { type: String },
      occurredAt: { type: Date, required: true },
      receivedAt: { type: Date, required: true },
      touchpoint: { type: String },
      channel: { type: String },
      properties: { type: Schema.Types.Mixed },
    },
    { versionKey: false, collection: 'events', minimize: false },
  );
  return connection.model<EventDoc>('Event', schema);
}
