/** How kinds pick a unit's events: by name, and for survey and revenue events by type too. */
import { z } from 'zod';
import type { OutcomeEvent } from './kind.js';

/** Survey and revenue events match by their type too, so they need no name. */
const typedEvents = new Set(['csat', 'nps', 'ces', 'revenue']);

/**
 * An event matches a metric's `event` when the event's name (or, for survey and revenue events
 * without a name, its type: `csat`, `nps`, `ces`, `revenue`) equals it.
 */
export function eventMatches(event: string, e: OutcomeEvent): boolean {
  if (e.name === event) return true;
  return e.type !== undefined && typedEvents.has(e.type) && e.type === event;
}

export const hasValue = (e: OutcomeEvent): boolean => typeof e.value === 'number' && Number.isFinite(e.value);

/** The events of this name that carry a finite value, in the order given. */
export function valued(events: readonly OutcomeEvent[], event: string): OutcomeEvent[] {
  return events.filter((e) => eventMatches(event, e) && hasValue(e));
}

export const eventField = () =>
  z.string().min(1).max(120).describe('event name (or survey type) that counts for this metric');
