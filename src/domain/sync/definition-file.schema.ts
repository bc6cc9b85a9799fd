import { z } from 'zod';
import { checkExperimentFields, experimentFields } from '../schemas/experiment.schema.js';
import { fatiguePolicyInputSchema } from '../schemas/fatigue-policy.schema.js';
import { checkHoldoutFields, holdoutFields } from '../schemas/holdout.schema.js';
import { journeyInputSchema } from '../schemas/journey.schema.js';
import { nudgeInputSchema } from '../schemas/nudge.schema.js';
import { templateInputSchema } from '../schemas/template.schema.js';
import { touchpointInputSchema } from '../schemas/touchpoint.schema.js';

/**
 * An experiment in a file: the API's experiment input plus an optional initial `status`. The
 * lifecycle is not kept in files: `status` only applies when sync creates the experiment; later
 * lifecycle changes go through the API, so a re-sync never restarts or stops a live experiment.
 */
export const experimentFileSchema = z
  .strictObject({
    ...experimentFields,
    status: z
      .enum(['draft', 'running'])
      .optional()
      .describe(
        'initial status when sync creates the experiment (default draft); ignored for existing experiments, whose lifecycle is changed through the API',
      ),
  })
  .superRefine(checkExperimentFields);

/** A holdout in a file: `status: running` starts it when sync creates it, as for experiments. */
export const holdoutFileSchema = z
  .strictObject({
    ...holdoutFields,
    status: z
      .enum(['draft', 'running'])
      .optional()
      .describe('initial status when sync creates the holdout (default draft); ignored afterwards'),
  })
  .superRefine(checkHoldoutFields);

/** One file in experiments/: any mix of the kinds, each a list. */
export const definitionFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe('path to schema.json, for editors'),
    journeys: z.array(journeyInputSchema).optional(),
    touchpoints: z.array(touchpointInputSchema).optional(),
    nudges: z.array(nudgeInputSchema).optional(),
    experiments: z.array(experimentFileSchema).optional(),
    holdouts: z.array(holdoutFileSchema).optional(),
    fatiguePolicies: z.array(fatiguePolicyInputSchema).optional(),
    templates: z.array(templateInputSchema).optional(),
  })
  .describe(
    'Nudgelab definitions: journeys, touchpoints, nudges, experiments, holdouts, fatigue policies and templates',
  );
export type DefinitionFile = z.infer<typeof definitionFileSchema>;

/** The JSON Schema editors use to autocomplete and check files (experiments/schema.json). */
export function definitionFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(definitionFileSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { ...schema, title: 'Nudgelab definitions' };
}
