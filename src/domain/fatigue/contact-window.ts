/**
 * Contact bookkeeping as pure functions. A customer's contacts are strings
 * `<utc day>|<journey>|<touchpoint>`: a set of them de-duplicates a touchpoint seen twice in a day,
 * and two instances adding the same contact add one (the store uses `$addToSet`).
 */
export interface PolicyScope {
  key: string;
  journey?: string;
  maxContacts: number;
  windowDays: number;
}

const DAY_MS = 86_400_000;

export function dayOf(at: Date): number {
  return Math.floor(at.getTime() / DAY_MS);
}

export function contactEntry(day: number, journey: string | undefined, touchpoint: string): string {
  return `${day}|${journey ?? ''}|${touchpoint}`;
}

function parse(entry: string): { day: number; journey: string } {
  const [day, journey] = entry.split('|');
  return { day: Number(day), journey: journey ?? '' };
}

/** Contacts the policy counts on `today`: its journey's (or all), today and the windowDays - 1 days before. */
export function contactsInWindow(entries: Iterable<string>, policy: PolicyScope, today: number): number {
  let n = 0;
  for (const entry of entries) {
    const c = parse(entry);
    if (c.day <= today - policy.windowDays || c.day > today) continue;
    if (policy.journey !== undefined && c.journey !== policy.journey) continue;
    n++;
  }
  return n;
}

export function atCap(entries: Iterable<string>, policy: PolicyScope, today: number): boolean {
  return contactsInWindow(entries, policy, today) >= policy.maxContacts;
}

/** Entries older than every window (kept out of memory and removed from the store). */
export function expired(entries: Iterable<string>, today: number, horizonDays: number): string[] {
  return [...entries].filter((e) => parse(e).day <= today - horizonDays);
}
