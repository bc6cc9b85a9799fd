import { type Connection, type Model, Schema } from 'mongoose';

export const definitionKinds = [
  'journey',
  'touchpoint',
  'nudge',
  'experiment',
  'holdout',
  'fatigue',
  'template',
] as const;
export type DefinitionKind = (typeof definitionKinds)[number];

export interface DefinitionDoc {
  _id: string;
  key: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  [field: string]: unknown;
}

/**
 * Indexes per kind, one for each query the service makes:
 * - every kind: `key` (unique; get, update, delete by human key);
 * - touchpoint: `journey` (a journey's touchpoints, in-use checks), `channel` (list filter);
 * - nudge: `touchpoint` (a touchpoint's nudges, in-use checks), `type` (list filter);
 * - experiment: `nudge` (in-use checks), `touchpoint` + `status` (running experiments on a touchpoint);
 * - holdout, fatigue (policies), template: none beyond `key` (small collections, listed whole when the payload
 *   is compiled).
 */
const extraIndexes: Record<DefinitionKind, Record<string, 1>[]> = {
  journey: [],
  touchpoint: [{ journey: 1, stage: 1 }, { channel: 1 }],
  nudge: [{ touchpoint: 1 }, { type: 1 }],
  experiment: [{ nudge: 1 }, { touchpoint: 1, status: 1 }, { status: 1 }],
  holdout: [],
  fatigue: [],
  template: [],
};

const collections: Record<DefinitionKind, string> = {
  journey: 'journeys',
  touchpoint: 'touchpoints',
  nudge: 'nudges',
  experiment: 'experiments',
  holdout: 'holdouts',
  fatigue: 'fatigue_policies',
  template: 'templates',
};

/** The body of a definition is validated by its zod schema in the domain, so the model is not strict. */
export function definitionModel(connection: Connection, kind: DefinitionKind): Model<DefinitionDoc> {
  const name = `Definition_${kind}`;
  if (connection.models[name]) return connection.models[name] as Model<DefinitionDoc>;
  const schema = new Schema<DefinitionDoc>(
    {
      _id: { type: String, required: true },
      key: { type: String, required: true },
      version: { type: Number, required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
    },
    { strict: false, versionKey: false, collection: collections[kind], minimize: false },
  );
  schema.index({ key: 1 }, { unique: true });
  for (const index of extraIndexes[kind]) schema.index(index);
  return connection.model<DefinitionDoc>(name, schema);
}
