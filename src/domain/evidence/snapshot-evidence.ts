import type { Readout } from '../../stats/index.js';
import type { Evidence } from '../schemas/evidence.schema.js';
import type { Experiment } from '../schemas/experiment.schema.js';
import type { Counts } from '../schemas/snapshot.schema.js';
import { type PriorDeps, priorEvidence } from './priors.js';
import { responseBiasOf } from './survey-response.js';

/** What a refresh asks of the evidence: given the experiment, its counts and its readout. */
export type EvidenceOf = (exp: Experiment, counts: Counts, readout: Readout) => Promise<Evidence | undefined>;

/**
 * The evidence of one snapshot: the response check of every survey metric (from the counts alone)
 * and the prior on the primary metric when one is asked for (a few small reads: the concluded
 * experiments, the nudges of one type, and the latest snapshot of each by `_id`).
 */
export function snapshotEvidence(deps: PriorDeps): EvidenceOf {
  return async (exp, counts, readout) => {
    const responseBias = responseBiasOf(exp, counts);
    const prior = await priorEvidence(deps, exp, readout);
    if (!responseBias && !prior) return undefined;
    return { ...(responseBias ? { responseBias } : {}), ...(prior ? { prior } : {}) };
  };
}
