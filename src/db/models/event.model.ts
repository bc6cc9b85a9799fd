import { type Connection, type Model, Schema } from 'mongoose';

/**
 * One outcome event. `_id` is the caller's `eventId` (the idempotency key), so a retried or
 * resent event can never be stored twice. `value` carries the number of every numeric type
 * (csat, nps, ces, metric value, revenue amount) so attribution reads one field.
 */
export interface EventDoc {
  _id: string;
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
  /**
   * `'pending'` from the insert until outcome attribution has run for the event (see
   * EventAttributor); the field is then removed, so only unattributed events carry it.
   */
  attribution?: 'pending';
}

/**
 * Indexes: `customerId` + `occurredAt` (a customer's events in an attribution window),
 * `name` + `occurredAt` (events of one metric), `attribution` sparse (the few events still waiting
 * for attribution; the field is removed once attributed, so the index stays small). Not partial:
 * FerretDB 1.24 rejects `partialFilterExpression`.
 */
export function eventModel(connection: Connection): Model<EventDoc> {
  if (connection.models.Event) return connection.models.Event as Model<EventDoc>;
  const schema = new Schema<EventDoc>(
    {
      _id: { type: String, required: true },
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
      attribution: { type: String },
    },
    { versionKey: false, collection: 'events', minimize: false },
  );
  schema.index({ customerId: 1, occurredAt: 1 });
  schema.index({ name: 1, occurredAt: 1 });
  schema.index({ attribution: 1 }, { sparse: true });
  return connection.model<EventDoc>('Event', schema);
}
