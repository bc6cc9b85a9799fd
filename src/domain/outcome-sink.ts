import type { ExposureForAttribution } from '../db/outcome.repository.js';

/**
 * Where stored exposures and events go next: attributing outcomes to exposures (the outcome state
 * kept on each exposure document). Assignment and event capture call it after a durable write;
 * it must be idempotent, because a journal replay or a retried batch may call it again.
 */
export interface OutcomeSink {
  /** Exposures stored earlier (or possibly so): their stored state is read again. */
  exposuresStored(exposureIds: readonly string[]): Promise<void>;
  /** Exposures this instance has just inserted: their outcome state is still empty, no read needed. */
  exposuresInserted(exposures: readonly ExposureForAttribution[]): Promise<void>;
  eventsStored(eventIds: readonly string[]): Promise<void>;
}

export const noOutcomeSink: OutcomeSink = {
  async exposuresStored() {},
  async exposuresInserted() {},
  async eventsStored() {},
};
