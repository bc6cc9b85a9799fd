/**
 * Where stored exposures and events go next: attributing outcomes to exposures (the outcome state
 * kept on each exposure document). Assignment and event capture call it after a durable write;
 * it must be idempotent, because a journal replay or a retried batch may call it again.
 */
export interface OutcomeSink {
  exposuresStored(exposureIds: readonly string[]): Promise<void>;
  eventsStored(eventIds: readonly string[]): Promise<void>;
}

export const noOutcomeSink: OutcomeSink = {
  async exposuresStored() {},
  async eventsStored() {},
};
