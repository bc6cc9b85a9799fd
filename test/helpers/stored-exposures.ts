import type { Connection } from 'mongoose';
import { type ExposureDoc, readExposure } from '../../src/db/models/exposure.model.js';

/** Every stored exposure in either layout, read as `ExposureDoc`s; `keep` filters them. */
export async function storedExposures(
  connection: Connection,
  keep: (d: ExposureDoc) => boolean = () => true,
): Promise<ExposureDoc[]> {
  const raw = await connection.collection('exposures').find({}).toArray();
  return raw.map((d) => readExposure(d as never)).filter(keep);
}
