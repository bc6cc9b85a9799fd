import { type Connection, type Model, Schema } from 'mongoose';

/**
 * One exposed unit (customer, or account for B2B experiments) per experiment phase: the unit of
 * analysis. `_id` is `<experimentId>|<phase>|<unitId>`, so a re-exposure (another channel, another
 * day, a replayed journal line) can never create a second document. Written once and never
 * updated: outcome state lives on the unit documents and the readout sums (see attribution/).
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
  /** Numeric attributes a metric uses as its pre-exposure covariate (CUPED), as sent with the assignment. */
  covariates?: Record<string, number>;
}

/**
 * How exposures are stored. `fields`: one field per value, as `ExposureDoc` reads (what MongoDB
 * users query). `packed`: `_id`, `experimentId` and `phase` as fields and the rest as one JSON
 * string, `d`; the embedded database's cost per document grows with its fields (FerretDB encodes a
 * type schema for each and SQLite parses the whole text for the `_id` index), and a packed exposure
 * took it about 35 µs to insert against 70. Readers take either, so a collection may hold both.
 */
export type ExposureLayout = 'fields' | 'packed';

export interface PackedExposureDoc {
  _id: string;
  experimentId: string;
  phase: number;
  /** The other fields of the `ExposureDoc` as JSON, `exposedAt` as an ISO 8601 string. */
  d: string;
}

export function packExposure(doc: ExposureDoc): PackedExposureDoc {
  const { _id, experimentId, phase, ...rest } = doc;
  return {
    _id,
    experimentId,
    phase,
    d: JSON.stringify({ ...rest, exposedAt: new Date(rest.exposedAt).toISOString() }),
  };
}

/** The exposure as written, in either layout. */
export function storedExposure(doc: ExposureDoc, layout: ExposureLayout): ExposureDoc | PackedExposureDoc {
  return layout === 'packed' ? packExposure(doc) : doc;
}

/** An exposure as read from the collection, in either layout; throws on a packed body that is not JSON. */
export function readExposure(raw: ExposureDoc | PackedExposureDoc): ExposureDoc {
  if (!('d' in raw) || typeof raw.d !== 'string') {
    const doc = raw as ExposureDoc;
    return { ...doc, exposedAt: new Date(doc.exposedAt) };
  }
  let rest: Omit<ExposureDoc, '_id' | 'experimentId' | 'phase'>;
  try {
    rest = JSON.parse(raw.d);
  } catch {
    throw new Error(`exposure ${raw._id}: its packed body is not JSON`);
  }
  return {
    ...rest,
    _id: raw._id,
    experimentId: raw.experimentId,
    phase: raw.phase,
    exposedAt: new Date(rest.exposedAt),
  };
}

/** Indexes: `_id` only; nothing reads exposures by another field except the full recompute's scan. */
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
      covariates: { type: Schema.Types.Mixed },
    },
    { versionKey: false, collection: 'exposures', minimize: false },
  );
  return connection.model<ExposureDoc>('Exposure', schema);
}

/** The `_id` of an exposure document. */
export function exposureId(experimentId: string, phase: number, unitId: string): string {
  return `${experimentId}|${phase}|${unitId}`;
}
