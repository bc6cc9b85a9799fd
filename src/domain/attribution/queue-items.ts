import type { QueuedEvent, QueuedExposure } from '../../db/attribution-queue.repository.js';
import type { EventDoc } from '../../db/event.repository.js';
import type { ExposureDoc } from '../../db/exposure.repository.js';

export function queuedEvent(doc: EventDoc): QueuedEvent {
  const item: QueuedEvent = {
    t: 'e',
    id: doc._id,
    c: doc.customerId,
    n: doc.name,
    y: doc.type,
    o: doc.occurredAt.getTime(),
  };
  if (typeof doc.value === 'number') item.v = doc.value;
  return item;
}

/** Null for QA exposures, which are stored but never analysed. */
export function queuedExposure(doc: ExposureDoc): QueuedExposure | null {
  if (doc.qa) return null;
  const item: QueuedExposure = {
    t: 'x',
    id: doc._id,
    e: doc.experimentId,
    p: doc.phase,
    v: doc.variant,
    u: doc.unitId,
    c: doc.customerId,
    o: new Date(doc.exposedAt).getTime(),
    a: doc.attributes ?? {},
  };
  if (doc.covariates && Object.keys(doc.covariates).length > 0) item.k = doc.covariates;
  return item;
}
