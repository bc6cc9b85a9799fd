import { randomBytes } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import type { Alert, AlertQuery } from '../domain/schemas/alert.schema.js';
import { ensureModelIndexes } from './indexes.js';
import {
  type AlertDoc,
  alertModel,
  type WebhookDeliveryDoc,
  webhookDeliveryModel,
} from './models/alert.model.js';

function toPlain(d: AlertDoc): Alert {
  return {
    id: d._id,
    kind: d.kind as Alert['kind'],
    experiment: d.experiment,
    condition: d.condition,
    status: d.status,
    message: d.message,
    details: d.details ?? {},
    openedAt: d.openedAt.toISOString(),
    lastSeenAt: d.lastSeenAt.toISOString(),
    clearedAt: d.clearedAt ? d.clearedAt.toISOString() : null,
  };
}

export interface WebhookDelivery {
  alertId: string;
  type: string;
  url: string;
  attempt: number;
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  at: string;
}

export class AlertRepository {
  private readonly model: Model<AlertDoc>;
  private readonly deliveries: Model<WebhookDeliveryDoc>;

  constructor(connection: Connection) {
    this.model = alertModel(connection);
    this.deliveries = webhookDeliveryModel(connection);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      ensureModelIndexes(this.model as never),
      ensureModelIndexes(this.deliveries as never),
    ]);
  }

  /** Index: `condition` + `status`. */
  async findOpen(condition: string): Promise<Alert | null> {
    const doc = await this.model.findOne({ condition, status: 'open' }).lean<AlertDoc>();
    return doc ? toPlain(doc) : null;
  }

  /** Index: `experiment` + `status`. */
  async openOf(experiment: string): Promise<Alert[]> {
    const docs = await this.model.find({ experiment, status: 'open' }).lean<AlertDoc[]>();
    return docs.map(toPlain);
  }

  async open(a: Omit<Alert, 'id' | 'status' | 'clearedAt' | 'lastSeenAt'>): Promise<Alert> {
    const doc: AlertDoc = {
      _id: `alr_${randomBytes(12).toString('base64url')}`,
      kind: a.kind,
      experiment: a.experiment,
      condition: a.condition,
      status: 'open',
      message: a.message,
      details: a.details,
      openedAt: new Date(a.openedAt),
      lastSeenAt: new Date(a.openedAt),
      clearedAt: null,
    };
    await this.model.collection.insertOne(doc as never);
    return toPlain(doc);
  }

  async touch(id: string, at: Date, details: Record<string, unknown>, message?: string): Promise<void> {
    await this.model.updateOne(
      { _id: id, status: 'open' },
      { $set: { lastSeenAt: at, details, ...(message !== undefined ? { message } : {}) } },
    );
  }

  async clear(id: string, at: Date): Promise<Alert | null> {
    const doc = await this.model
      .findOneAndUpdate(
        { _id: id, status: 'open' },
        { $set: { status: 'cleared', clearedAt: at } },
        { returnDocument: 'after' },
      )
      .lean<AlertDoc>();
    return doc ? toPlain(doc) : null;
  }

  /** Indexes: `status` + `openedAt`, or `experiment` + `status`. */
  async list(q: AlertQuery): Promise<Alert[]> {
    const filter: Record<string, string> = {};
    if (q.status !== 'all') filter.status = q.status;
    if (q.experiment) filter.experiment = q.experiment;
    const docs = await this.model.find(filter).sort({ openedAt: -1 }).limit(q.limit).lean<AlertDoc[]>();
    return docs.map(toPlain);
  }

  async logDelivery(d: WebhookDelivery): Promise<void> {
    await this.deliveries.collection.insertOne({
      ...d,
      _id: `whd_${randomBytes(12).toString('base64url')}`,
      at: new Date(d.at),
    } as never);
  }

  /** Index: `alertId` + `at`. */
  async deliveriesOf(alertId: string): Promise<WebhookDelivery[]> {
    const docs = await this.deliveries.find({ alertId }).sort({ at: 1 }).lean<WebhookDeliveryDoc[]>();
    return docs.map(({ _id, at, ...rest }) => ({ ...rest, at: at.toISOString() }));
  }
}
