import { type Connection, type Model, Schema } from 'mongoose';

export interface AlertDoc {
  _id: string;
  kind: string;
  experiment: string;
  condition: string;
  status: 'open' | 'cleared';
  message: string;
  /** The message in the other languages, by language code. */
  messages?: Record<string, string>;
  details: Record<string, unknown>;
  openedAt: Date;
  lastSeenAt: Date;
  clearedAt: Date | null;
}

export interface WebhookDeliveryDoc {
  _id: string;
  alertId: string;
  type: string;
  url: string;
  attempt: number;
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  at: Date;
}

/** Alerts, read by `_id` only (see AlertRepository: numbered ids and a head per experiment). */
export function alertModel(connection: Connection): Model<AlertDoc> {
  if (connection.models.Alert) return connection.models.Alert as Model<AlertDoc>;
  const schema = new Schema<AlertDoc>(
    {
      _id: { type: String, required: true },
      kind: { type: String, required: true },
      experiment: { type: String, required: true },
      condition: { type: String, required: true },
      status: { type: String, required: true },
      message: { type: String, required: true },
      messages: { type: Schema.Types.Mixed, required: false },
      details: { type: Schema.Types.Mixed, default: {} },
      openedAt: { type: Date, required: true },
      lastSeenAt: { type: Date, required: true },
      clearedAt: { type: Date, default: null },
    },
    { versionKey: false, collection: 'alerts', minimize: false },
  );
  return connection.model<AlertDoc>('Alert', schema);
}

/** One row per delivery attempt, numbered per alert (`whd_<alert id>_0001`), read by `_id`. */
export function webhookDeliveryModel(connection: Connection): Model<WebhookDeliveryDoc> {
  if (connection.models.WebhookDelivery)
    return connection.models.WebhookDelivery as Model<WebhookDeliveryDoc>;
  const schema = new Schema<WebhookDeliveryDoc>(
    {
      _id: { type: String, required: true },
      alertId: { type: String, required: true },
      type: { type: String, required: true },
      url: { type: String, required: true },
      attempt: { type: Number, required: true },
      ok: { type: Boolean, required: true },
      httpStatus: { type: Number, default: null },
      error: { type: String, default: null },
      at: { type: Date, required: true },
    },
    { versionKey: false, collection: 'webhook_deliveries' },
  );
  return connection.model<WebhookDeliveryDoc>('WebhookDelivery', schema);
}
