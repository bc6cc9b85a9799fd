import { type Connection, type Model, Schema } from 'mongoose';

/**
 * One exposed unit (customer, or account for B2B experiments) per experiment phase: the unit of
 * analysis. `_id` is `<experimentId>|<phase>|<unitId>`, so a re-exposure (another channel, another
 * day, a replayed journal line) can never create a second document.
 *
 * The customer's outcome state lives on this document and is updated as events arrive, so a
 * readout is one `$match` + `$unwind` + `$group`/`$sum` that FerretDB 1.x and MongoDB both run:
 * - `outcomes.<metricKey>`: first-answer state (time and value), set once (idempotent);
 * - `tally`: `{k, v}` pairs summed by the readout, where `k` is `<variant>|<metricKey>|<stat>`.
 *   FerretDB 1.24 computes only the first accumulator of a `$group`, and its `$unwind` drops every
 *   field but `_id` and the unwound array, hence one accumulator over one precomputed string key
 *   that carries the variant itself.
 */
export interface ExposureDoc {
  _id: string;
  experiment: string;
  experimentId: string;
  phase: number;
  variant: string;
  /** Randomisation unit attribute (`customerId`, `accountId`, ...) and its value. */
  unit: string;
  unitId: string;
  /** The customer whose assignment created the exposure. */
  customerId: string;
  touchpoint: string;
  channel: string;
  exposedAt: Date;
  /** Allow-listed attributes for segment breakdowns (segment, channel, country, ...). */
  attributes: Record<string, string>;
  /** QA-forced customers are stored but excluded from analysis. */
  qa: boolean;
  outcomes: Record<string, { at: Date; value: number }>;
  tally: { k: string; v: number }[];
}

/**
 * Indexes: `experimentId` + `phase` + `qa` (readout pipelines), `unitId` + `exposedAt` (attributing
 * an event to the exposures of its unit), `customerId` (events keyed by customer for account units).
 */
export function exposureModel(connection: Connection): Model<ExposureDoc> {
  if (connection.models.Exposure) return connection.models.Exposure as Model<ExposureDoc>;
  const schema = new Schema<ExposureDoc>(
    {
      _id: { type: String, required: true },
      experiment: { type: String, required: true },
      experimentId: { type: String, required: true },
      phase: { type: Number, required: true },
      variant: { type: String, required: true },
      unit: { type: String, required: true },
      unitId: { type: String, required: true },
      customerId: { type: String, required: true },
      touchpoint: { type: String, required: true },
      channel: { type: String, required: true },
      exposedAt: { type: Date, required: true },
      attributes: { type: Schema.Types.Mixed, default: {} },
      qa: { type: Boolean, required: true },
      outcomes: { type: Schema.Types.Mixed, default: {} },
      tally: { type: [{ _id: false, k: String, v: Number }], default: [] },
    },
    { versionKey: false, collection: 'exposures', minimize: false },
  );
  schema.index({ experimentId: 1, phase: 1, qa: 1 });
  schema.index({ unitId: 1, exposedAt: 1 });
  schema.index({ customerId: 1 });
  return connection.model<ExposureDoc>('Exposure', schema);
}

/** The `_id` of an exposure document. */
export function exposureId(experimentId: string, phase: number, unitId: string): string {
  return `${experimentId}|${phase}|${unitId}`;
}
