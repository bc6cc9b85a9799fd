/** When a timing nudge is delivered: after its delay, at its local hour, on one of its local weekdays. */
export interface TimingRule {
  delayMinutes?: number;
  localHour?: number;
  weekdays?: string[];
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatter(timeZone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      f = null;
    }
    // Time zone names come from callers; cap the cache so odd names cannot grow it without end.
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for IANA names the runtime knows (`Europe/Paris`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  return formatter(timeZone) !== null;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(ms: number, f: Intl.DateTimeFormat): LocalParts {
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

function offsetAt(ms: number, f: Intl.DateTimeFormat): number {
  const p = localParts(ms, f);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of a local wall time; twice, because the offset may differ on either side of a DST change. */
function fromLocal(wall: number, f: Intl.DateTimeFormat): number {
  let ms = wall - offsetAt(wall, f);
  ms = wall - offsetAt(ms, f);
  return ms;
}

/**
 * The delivery instant of a timing rule for a customer in `timeZone` (UTC when absent). Without
 * a local hour the local time of day after the delay is kept; weekdays move it to the next allowed day.
 */
export function deliverAt(now: Date, rule: TimingRule, timeZone = 'UTC'): Date {
  const f = formatter(timeZone);
  if (!f) throw new RangeError(`Unknown time zone "${timeZone}"`);
  const earliest = now.getTime() + (rule.delayMinutes ?? 0) * 60_000;
  if (rule.localHour === undefined && !rule.weekdays?.length) return new Date(earliest);
  const p = localParts(earliest, f);
  const hour = rule.localHour ?? p.hour;
  const minute = rule.localHour === undefined ? p.minute : 0;
  const second = rule.localHour === undefined ? p.second : 0;
  const allowed = rule.weekdays?.length ? new Set(rule.weekdays) : null;
  for (let addDays = 0; addDays < 9; addDays++) {
    const wall = Date.UTC(p.year, p.month - 1, p.day + addDays, hour, minute, second);
    const weekday = WEEKDAYS[new Date(wall).getUTCDay()] ?? '';
    if (allowed && !allowed.has(weekday)) continue;
    const at = fromLocal(wall, f);
    if (at >= Math.floor(earliest / 1000) * 1000) return new Date(at);
  }
  return new Date(earliest);
}
