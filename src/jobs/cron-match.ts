import cron from 'node-cron';

const cache = new Map<string, ReturnType<typeof cron.parse> | null>();

function fields(pattern: string) {
  if (!cache.has(pattern)) cache.set(pattern, cron.validate(pattern) ? cron.parse(pattern) : null);
  return cache.get(pattern) ?? null;
}

export function isValidCron(pattern: string): boolean {
  return fields(pattern) !== null;
}

/**
 * True when a cron pattern fires in the minute of `at` (local time, as node-cron schedules). As in
 * cron, a day restricted both by day of month and by weekday fires on either.
 */
export function cronMatchesMinute(pattern: string, at: Date): boolean {
  const f = fields(pattern);
  if (!f) return false;
  if (!f.minute.includes(at.getMinutes()) || !f.hour.includes(at.getHours())) return false;
  if (!f.month.includes(at.getMonth() + 1)) return false;
  const domAll = f.dayOfMonth.length >= 31;
  const dowAll = f.dayOfWeek.length >= 7;
  const dom = f.dayOfMonth.includes(at.getDate());
  const dow = f.dayOfWeek.includes(at.getDay()) || (at.getDay() === 0 && f.dayOfWeek.includes(7));
  if (!domAll && !dowAll) return dom || dow;
  return dom && dow;
}
