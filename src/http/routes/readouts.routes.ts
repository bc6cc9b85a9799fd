import { z } from 'zod';
import { alertQuerySchema, alertSchema } from '../../domain/schemas/alert.schema.js';
import { journeySummarySchema, portfolioSchema } from '../../domain/schemas/insights.schema.js';
import { readoutResponseSchema, snapshotSchema } from '../../domain/schemas/snapshot.schema.js';
import type { Services } from '../../domain/services.js';
import { langParam, langQuery, requestLanguage } from '../language.js';
import { defineRoute, media, type Route } from '../route.js';
import { keyParams } from '../route-params.js';

const viewers = { via: 'key', roles: ['viewer', 'strategist'] } as const;
const strategists = { via: 'key', roles: ['strategist'] } as const;

const recomputeResultSchema = z.object({
  exposures: z.number().int(),
  events: z.number().int().describe('stored events of the exposed units'),
  unitsRewritten: z.number().int(),
  durationMs: z.number(),
});

/** Readouts, their CSV export, the on-demand refresh, journey summaries, the portfolio and alerts. */
export function readoutsRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/experiments/:key/readout',
      tag: 'readouts',
      summary: 'Latest snapshot of an experiment with its history (evidence over time)',
      description:
        '`{experiment, latest, lastFailure, history, language}`: the latest ok snapshot (readout, counts, segments) and one point per snapshot (exposures, decision, per metric and variant n, estimate, chance to beat control, relative lift). The decision sentences (`latest.readout.decision.summary`, and those of the segments) are in the language asked for by `lang` or Accept-Language, named by `language`; every other field is language-neutral.',
      access: viewers,
      params: keyParams,
      query: langQuery,
      responses: { 200: readoutResponseSchema },
      errors: ['not_found'],
    }).handle(async ({ req, params, query }) => {
      const body = await services.readouts.readout(params.key, requestLanguage(req, query.lang));
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store', 'Content-Language': body.language ?? 'en' },
        body,
      };
    }),
    defineRoute({
      method: 'get',
      path: '/v1/experiments/:key/readout.csv',
      tag: 'readouts',
      summary: 'Latest readout as CSV, one row per metric and variant',
      description:
        "One row per metric and variant of the latest snapshot, with the metric's and the variant's names: counts, estimate and interval, chance to beat control and to be best, absolute and relative lift with intervals, expected losses, chance of harm, decision and the decision sentence. Numbers to six significant digits (the JSON readout has them whole).",
      access: viewers,
      params: keyParams,
      query: langQuery,
      responses: { 200: media('text/csv', 'One row per metric and variant') },
      errors: ['not_found'],
    }).handle(async ({ req, params, query }) => {
      const lang = requestLanguage(req, query.lang);
      return {
        status: 200,
        type: 'text/csv; charset=utf-8',
        headers: {
          'Content-Disposition': `attachment; filename="${params.key}-readout.csv"`,
          'Cache-Control': 'no-store',
          'Content-Language': lang,
        },
        body: await services.readouts.csv(params.key, lang),
      };
    }),
    defineRoute({
      method: 'post',
      path: '/v1/experiments/:key/refresh',
      tag: 'readouts',
      summary: 'Recompute the snapshot of one experiment now',
      description:
        'Recompute now; returns the snapshot (`not_started` for drafts, `refresh_in_progress`, `refresh_failed`).',
      access: strategists,
      params: keyParams,
      responses: { 200: snapshotSchema },
      errors: ['not_found', 'not_started', 'refresh_in_progress', 'refresh_failed'],
    }).handle(async ({ params }) => ({
      status: 200,
      body: await services.refresh.refresh(params.key, 'manual'),
    })),
    defineRoute({
      method: 'post',
      path: '/v1/experiments/:key/recompute',
      tag: 'readouts',
      summary: "Rebuild the current phase's readout sums from the stored exposures and events",
      access: strategists,
      params: keyParams,
      responses: { 200: recomputeResultSchema },
      errors: ['not_found', 'not_started', 'attribution_busy'],
    }).handle(async ({ params }) => ({ status: 200, body: await services.recompute(params.key) })),
    defineRoute({
      method: 'get',
      path: '/v1/journeys/:key/summary',
      tag: 'readouts',
      summary: "Every touchpoint of a journey with its experiments' latest decisions and lifts",
      description:
        "Every touchpoint of the journey in stage order, its nudges, and its experiments (not drafts) with their latest decision and lifts on conversion and satisfaction (CSAT, NPS, effort) metrics and on ratio metrics; each lift names the portfolio measure it counts for and its lift on that measure's scale.",
      access: viewers,
      params: keyParams,
      responses: { 200: journeySummarySchema },
      errors: ['not_found'],
    }).handle(async ({ params }) => ({
      status: 200,
      body: await services.readouts.journeySummary(params.key),
    })),
    defineRoute({
      method: 'get',
      path: '/v1/portfolio',
      tag: 'readouts',
      summary:
        'Touchpoints, nudge types and channels with their experiments pooled on conversion, CSAT, NPS, effort and ratios',
      description:
        "Touchpoints, nudge types and channels, each with its experiments' effects pooled by a precision-weighted random-effects model: per measure the pooled estimate, its 95% credible interval, the chance it is an improvement and the number of experiments. Each metric's kind says which measure it counts for. Conversion is a relative lift; CSAT is the difference in mean score in points of the 1-5 scale (ordinal CSAT enters by its mean score, stretched onto 1-5 from another scale); effort is in points of its scale; NPS in NPS points; ratios (contacts per customer, handle time per ticket) are a relative change of their own, never mixed with conversion; all signed so that positive is better for the customer. Each experiment (running or concluded, with a snapshot) speaks through its shipped variant, else the one most likely to beat control. Ranked by the chance of improving satisfaction, then conversion, then ratios.",
      access: viewers,
      responses: { 200: portfolioSchema },
    }).handle(async () => ({ status: 200, body: await services.readouts.portfolio() })),
    defineRoute({
      method: 'get',
      path: '/v1/alerts',
      tag: 'alerts',
      summary: 'Alerts: sample-ratio mismatch, guardrail harm, decision reached, refresh failing',
      description:
        'Alerts, newest first: sample-ratio mismatch, guardrail harm, decision reached, refresh failing.',
      access: viewers,
      query: alertQuerySchema.extend({ lang: langParam }),
      responses: { 200: z.object({ items: z.array(alertSchema) }) },
    }).handle(async ({ req, query }) => {
      const { lang, ...rest } = query;
      const language = requestLanguage(req, lang);
      return {
        status: 200,
        headers: { 'Content-Language': language },
        body: { items: await services.alerts.list(rest, language) },
      };
    }),
  ];
}
