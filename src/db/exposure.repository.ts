import type { Connection, Model } from 'mongoose';
import { duplicateIndexes, onlyDuplicates } from './duplicate-keys.js';
import { ensureModelIndexes } from './indexes.js';
import {
  type ExposureDoc,
  type ExposureLayout,
  exposureModel,
  type PackedExposureDoc,
  readExposure,
  storedExposure,
} from './models/exposure.model.js';

export type { ExposureDoc, ExposureLayout } from './models/exposure.model.js';

export class ExposureRepository {
  readonly model: Model<ExposureDoc>;

  /** New exposures are written in `layout`; stored ones are read in either. */
  constructor(
    connection: Connection,
    readonly layout: ExposureLayout,
  ) {
    this.model = exposureModel(connection);
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  /**
   * Stores exposures, skipping those already stored (the `_id` is per unit and experiment phase),
   * and returns the positions of the skipped ones. Throws only when something other than a
   * duplicate failed, so a retry of the same documents is safe.
   */
  async insertIgnoringDuplicates(docs: readonly ExposureDoc[]): Promise<Set<number>> {
    if (docs.length === 0) return new Set();
    try {
      const stored = docs.map((d) => storedExposure(d, this.layout));
      await this.model.collection.insertMany(stored as never[], { ordered: false });
      return new Set();
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
      const refused = duplicateIndexes(err);
      // A duplicate error without positions: treat every document as possibly stored before.
      return new Set(refused.length > 0 ? refused : docs.map((_, i) => i));
    }
  }

  /** The exposures of one experiment phase, streamed (the full recompute scans for them). */
  async *ofPhase(experimentId: string, phase: number, batchSize = 5000): AsyncGenerator<ExposureDoc> {
    const cursor = this.model.collection.find({ experimentId, phase } as never, { batchSize });
    for await (const d of cursor) yield readExposure(d as unknown as ExposureDoc | PackedExposureDoc);
  }

  /** Whether this exposure is stored; a point lookup by `_id`. */
  async exists(id: string): Promise<boolean> {
    return (await this.model.collection.findOne({ _id: id } as never, { projection: { _id: 1 } })) !== null;
  }

  /** Variant and time of the stored exposures among these ids; by `_id`, 500 per read. */
  async variantsOf(ids: readonly string[]): Promise<Map<string, { variant: string; exposedAt: Date }>> {
    const out = new Map<string, { variant: string; exposedAt: Date }>();
    for (let i = 0; i < ids.length; i += 500) {
      const docs = await this.model.collection
        .find({ _id: { $in: ids.slice(i, i + 500) } } as never, {
          projection: { variant: 1, exposedAt: 1, qa: 1, d: 1, experimentId: 1, phase: 1 },
        })
        .toArray();
      for (const raw of docs as unknown as (ExposureDoc | PackedExposureDoc)[]) {
        const d = readExposure(raw);
        // QA exposures are forced and never analysed: they give a customer no variant to keep.
        if (!d.qa) out.set(d._id, { variant: d.variant, exposedAt: d.exposedAt });
      }
    }
    return out;
  }

  async countByIds(ids: readonly string[]): Promise<number> {
    return this.model.countDocuments({ _id: { $in: ids } });
  }
}
