import { z } from 'zod';
import { activePolicies, type FatiguePolicyDefinition, policyCovers } from '../assignment/fatigue-rules.js';
import { channelSchema } from '../schemas/common.schema.js';
import { atCap, dayOf, type PolicyScope } from './contact-window.js';

/** Contact documents one summary reads at most (one bounded read, whatever the number of customers). */
export const FATIGUE_SHARE_LIMIT = 5000;

export const fatigueShareSchema = z.object({
  computedAt: z.iso.datetime(),
  /** Contact documents read, and the most a summary reads. */
  sampled: z.number().int().min(0),
  limit: z.number().int().min(1),
  /** True when fewer than `limit` documents exist: the figures cover every customer with contacts. */
  complete: z.boolean(),
  rows: z.array(
    z.object({
      journey: z.string(),
      channel: channelSchema.or(z.literal('(unknown)')),
      /** Customers with a contact on this journey and channel inside the policy window. */
      customers: z.number().int().min(0),
      /** Of them, those at a cap that covers the journey (its own policy or a global one). */
      atCap: z.number().int().min(0),
      share: z.number().min(0).max(1).nullable(),
      policies: z.array(z.string()),
    }),
  ),
});
export type FatigueShare = z.infer<typeof fatigueShareSchema>;

interface Contact {
  day: number;
  journey: string;
  touchpoint: string;
}

function parse(entry: string): Contact | null {
  const [day, journey, touchpoint] = entry.split('|');
  if (day === undefined || journey === undefined || touchpoint === undefined) return null;
  return { day: Number(day), journey, touchpoint };
}

/**
 * The share of customers at the cap per journey and channel, from customers' contact lists (the
 * strings the fatigue gate keeps). A customer counts on a journey and channel when one of its
 * contacts there falls inside the longest window of the policies covering the journey; it is at
 * the cap when any of those policies is. Journeys no policy covers are left out.
 */
export function fatigueShare(
  contacts: Iterable<readonly string[]>,
  defs: readonly FatiguePolicyDefinition[],
  channelOf: ReadonlyMap<string, string>,
  opts: { now: Date; sampled: number; limit: number },
): FatigueShare {
  const policies = activePolicies(defs);
  const today = dayOf(opts.now);
  const covering = new Map<string, PolicyScope[]>();
  const coverOf = (journey: string) => {
    let list = covering.get(journey);
    if (!list) {
      list = policies.filter((p) => policyCovers(p, journey));
      covering.set(journey, list);
    }
    return list;
  };
  const rows = new Map<string, FatigueShare['rows'][number]>();
  for (const entries of contacts) {
    const seen = new Set<string>();
    const capped = new Map(policies.map((p) => [p.key, atCap(entries, p, today)]));
    for (const entry of entries) {
      const c = parse(entry);
      if (!c || c.journey === '') continue;
      const cover = coverOf(c.journey);
      if (cover.length === 0) continue;
      const window = Math.max(...cover.map((p) => p.windowDays));
      if (c.day <= today - window || c.day > today) continue;
      const channel = channelOf.get(c.touchpoint) ?? '(unknown)';
      const id = `${c.journey}|${channel}`;
      if (seen.has(id)) continue;
      seen.add(id);
      let row = rows.get(id);
      if (!row) {
        row = {
          journey: c.journey,
          channel: channel as FatigueShare['rows'][number]['channel'],
          customers: 0,
          atCap: 0,
          share: null,
          policies: cover.map((p) => p.key),
        };
        rows.set(id, row);
      }
      row.customers++;
      if (cover.some((p) => capped.get(p.key))) row.atCap++;
    }
  }
  const list = [...rows.values()]
    .map((r) => ({ ...r, share: r.customers > 0 ? r.atCap / r.customers : null }))
    .sort((a, b) => a.journey.localeCompare(b.journey) || a.channel.localeCompare(b.channel));
  return {
    computedAt: opts.now.toISOString(),
    sampled: opts.sampled,
    limit: opts.limit,
    complete: opts.sampled < opts.limit,
    rows: list,
  };
}
