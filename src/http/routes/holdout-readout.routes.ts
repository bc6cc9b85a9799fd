import { holdoutReadoutSchema } from '../../domain/holdouts/holdout-readout.js';
import type { Services } from '../../domain/services.js';
import { langQuery, requestLanguage } from '../language.js';
import { defineRoute, type Route } from '../route.js';
import { keyParams } from '../route-params.js';

/** `GET /v1/holdouts/:key/readout`: the programme's cumulative effect, nudged against held out. */
export function holdoutReadoutRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/holdouts/:key/readout',
      tag: 'holdouts',
      summary: 'Nudged population against the holdout on its metrics (conversion, CSAT, NPS, effort)',
      description:
        'Units that reached a covered touchpoint while the holdout ran, per arm, and the readout of the nudged arm against the held-out one on each metric, with one sentence per metric in the language asked for by `lang` or Accept-Language (named by Content-Language); fewer than 100 held-out units are labelled early (`not_started` for drafts).',
      access: { via: 'key', roles: ['viewer', 'strategist'] },
      params: keyParams,
      query: langQuery,
      responses: { 200: holdoutReadoutSchema },
      errors: ['not_found', 'not_started'],
    }).handle(async ({ req, params, query }) => {
      const lang = requestLanguage(req, query.lang);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store', 'Content-Language': lang },
        body: await services.holdoutReadout(params.key, lang),
      };
    }),
  ];
}
