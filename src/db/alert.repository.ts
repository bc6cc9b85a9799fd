import type { Collection, Connection, Model, mongo } from 'mongoose';
import type { Alert, AlertQuery } from '../domain/schemas/alert.schema.js';
import { ensureModelIndexes } from './indexes.js';
import {
  type AlertDoc,
  alertModel,
  type WebhookDeliveryDoc,
  webhookDeliveryModel,
} from './models/alert.model.js';
import { SequenceIds } from './sequence-ids.js';

function toPlain(d: AlertDoc): Alert {
  return {
    id: d._id,
    kind: d.kind as Alert['kind'],
    experiment: d.experiment,
    condition: d.condition,
    status: d.status,
    message: d.message,
    ...(d.messages ? { messages: d.messages } : {}),
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

/** The open alerts of one experiment, by condition: written only by the refresh holding its lease. */
interface AlertHeadDoc {
  _id: string;
  open: { condition: string; id: string }[];
}

/** Alerts looked at per listing of cleared ones at most (a bounded page). */
export const ALERT_SCAN_LIMIT = 5000;

/**
 * Alerts under dense ordered ids (`alr_000000000001`), so listings read pages by `_id`; one head
 * per experiment (`alert_heads/<experiment>`) names its open alert per condition, so "is this
 * condition open?" and "the open alerts" are point reads of small documents. Webhook deliveries
 * are numbered per alert (`whd_<alert id>_001`).
 */
export class AlertRepository {
  private readonly model: Model<AlertDoc>;
  private readonly deliveries: Model<WebhookDeliveryDoc>;
  private readonly heads: Collection<AlertHeadDoc>;
  private readonly ids: SequenceIds<AlertDoc>;

  constructor(connection: Connection) {
    this.model = alertModel(connection);
    this.deliveries = webhookDeliveryModel(connection);
    this.heads = connection.collection<AlertHeadDoc>('alert_heads') as unknown as Collection<AlertHeadDoc>;
    this.ids = new SequenceIds(this.model.collection as unknown as Collection<AlertDoc>, 'alr_');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      ensureModelIndexes(this.model as never),
      ensureModelIndexes(this.deliveries as never),
    ]);
    await this.renumberLegacy();
  }

  /** The open alert of a condition of an experiment, if any. */
  async findOpen(experiment: string, condition: string): Promise<Alert | null> {
    const id = (await this.headOf(experiment)).open.find((o) => o.condition === condition)?.id;
    if (!id) return null;
    const doc = await this.model.findOne({ _id: id }).lean<AlertDoc>();
    return doc && doc.status === 'open' ? toPlain(doc) : null;
  }

  async openOf(experiment: string): Promise<Alert[]> {
    return this.byIds(
      (await this.headOf(experiment)).open.map((o) => o.id),
      'open',
    );
  }

  async open(a: Omit<Alert, 'id' | 'status' | 'clearedAt' | 'lastSeenAt' | 'language'>): Promise<Alert> {
    const fields: Omit<AlertDoc, '_id'> = {
      kind: a.kind,
      experiment: a.experiment,
      condition: a.condition,
      status: 'open',
      message: a.message,
      ...(a.messages ? { messages: a.messages } : {}),
      details: a.details,
      openedAt: new Date(a.openedAt),
      lastSeenAt: new Date(a.openedAt),
      clearedAt: null,
    };
    const _id = await this.ids.insert(fields);
    const head = await this.headOf(a.experiment);
    await this.putHead({
      _id: a.experiment,
      open: [...head.open.filter((o) => o.condition !== a.condition), { condition: a.condition, id: _id }],
    });
    return toPlain({ _id, ...fields });
  }

  async touch(id: string, at: Date, details: Record<string, unknown>): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { lastSeenAt: at, details } });
  }

  /** Rewrites an alert's message and details by `_id`, so a still-open alert tells today's figures. */
  async rewrite(
    id: string,
    at: Date,
    details: Record<string, unknown>,
    message: string,
    messages?: Record<string, string>,
  ): Promise<void> {
    await this.model.updateOne(
      { _id: id },
      { $set: { lastSeenAt: at, details, message, ...(messages ? { messages } : {}) } },
    );
  }

  /** Clears an open alert; null when it was not open. */
  async clear(id: string, at: Date): Promise<Alert | null> {
    const doc = await this.model.findOne({ _id: id }).lean<AlertDoc>();
    if (!doc) return null;
    const head = await this.headOf(doc.experiment);
    if (head.open.some((o) => o.id === id)) {
      await this.putHead({ _id: doc.experiment, open: head.open.filter((o) => o.id !== id) });
    }
    if (doc.status !== 'open') return null;
    await this.model.updateOne({ _id: id }, { $set: { status: 'cleared', clearedAt: at } });
    return toPlain({ ...doc, status: 'cleared', clearedAt: at });
  }

  /**
   * Newest first. Open alerts come from the heads (one small document per experiment); cleared
   * ones (and `all`) from pages of ids before `before`, at most ALERT_SCAN_LIMIT looked at.
   */
  async list(q: AlertQuery): Promise<Alert[]> {
    if (q.status === 'open') {
      const heads = q.experiment
        ? [await this.headOf(q.experiment)]
        : ((await this.heads.find({}).toArray()) as AlertHeadDoc[]);
      const alerts = await this.byIds(
        heads.flatMap((h) => h.open.map((o) => o.id)),
        'open',
      );
      const before = q.before ? q.before : null;
      return alerts
        .filter((x) => before === null || x.id < before)
        .sort((x, y) => (x.id < y.id ? 1 : -1))
        .slice(0, q.limit);
    }
    let cursor = q.before ? (this.ids.numberOf(q.before) ?? 1) : (await this.ids.last()) + 1;
    const out: Alert[] = [];
    let scanned = 0;
    while (cursor > 1 && out.length < q.limit && scanned < ALERT_SCAN_LIMIT) {
      const docs = await this.ids.before(cursor, Math.min(500, ALERT_SCAN_LIMIT - scanned));
      if (docs.length === 0) break;
      for (const d of docs) {
        cursor = this.ids.numberOf(d._id) ?? 1;
        scanned++;
        if (
          (q.status === 'all' || d.status === q.status) &&
          (!q.experiment || d.experiment === q.experiment)
        ) {
          out.push(toPlain(d));
          if (out.length >= q.limit) break;
        }
      }
    }
    return out;
  }

  async logDelivery(d: WebhookDelivery): Promise<void> {
    await this.deliveryIds(d.alertId).insert({ ...d, at: new Date(d.at) });
  }

  async deliveriesOf(alertId: string): Promise<WebhookDelivery[]> {
    const ids = this.deliveryIds(alertId);
    const last = await ids.last();
    const docs = await ids.before(last + 1, last);
    return docs.reverse().map(({ _id, at, ...rest }) => ({ ...rest, at: at.toISOString() }));
  }

  private deliveryIds(alertId: string): SequenceIds<WebhookDeliveryDoc> {
    return new SequenceIds(
      this.deliveries.collection as unknown as Collection<WebhookDeliveryDoc>,
      `whd_${alertId}_`,
      4,
    );
  }

  private async headOf(experiment: string): Promise<AlertHeadDoc> {
    const doc = await this.heads.findOne({ _id: experiment } as mongo.Filter<AlertHeadDoc>);
    return (doc as AlertHeadDoc | null) ?? { _id: experiment, open: [] };
  }

  private async putHead(head: AlertHeadDoc): Promise<void> {
    await this.heads.replaceOne({ _id: head._id } as mongo.Filter<AlertHeadDoc>, head, { upsert: true });
  }

  private async byIds(ids: string[], status: AlertDoc['status']): Promise<Alert[]> {
    if (ids.length === 0) return [];
    const docs = await this.model.find({ _id: { $in: ids } }).lean<AlertDoc[]>();
    return docs.filter((d) => d.status === status).map(toPlain);
  }

  /**
   * Data folders from before the numbered ids hold alerts and deliveries under random ids: number
   * them once, oldest first, and write the heads of the open ones (one scan, at the first start).
   */
  private async renumberLegacy(): Promise<void> {
    const first = await this.model.collection.findOne({}, { projection: { _id: 1 } });
    if (!first || this.ids.numberOf(String(first._id)) !== null) return;
    const all = (await this.model.collection.find({}).toArray()) as unknown as AlertDoc[];
    const legacy = all
      .filter((d) => this.ids.numberOf(d._id) === null)
      .sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
    const deliveries = (await this.deliveries.collection
      .find({})
      .toArray()) as unknown as WebhookDeliveryDoc[];
    for (const d of legacy) {
      const { _id: oldId, ...fields } = d;
      const id = await this.ids.insert(fields);
      if (d.status === 'open') {
        const head = await this.headOf(d.experiment);
        await this.putHead({
          _id: d.experiment,
          open: [...head.open.filter((o) => o.condition !== d.condition), { condition: d.condition, id }],
        });
      }
      const own = deliveries
        .filter((w) => w.alertId === oldId)
        .sort((a, b) => a.at.getTime() - b.at.getTime());
      for (const w of own) {
        const { _id: oldDelivery, ...rest } = w;
        await this.deliveryIds(id).insert({ ...rest, alertId: id });
        await this.deliveries.collection.deleteOne({ _id: oldDelivery } as never);
      }
      await this.model.collection.deleteOne({ _id: oldId } as never);
    }
  }
}
