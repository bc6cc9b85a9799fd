/** "Did you mean": names that are probably a misspelling of a known one. */

/** Edit distance, for "did you mean"; names are short, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Near misses: the same name but for case and separators, or two edits apart at most. */
export function isNearMiss(seen: string, expected: string): boolean {
  if (seen === expected) return false;
  const norm = (s: string) => s.toLowerCase().replace(/[-_.\s]+/g, '');
  if (norm(seen) === norm(expected)) return true;
  return Math.min(seen.length, expected.length) >= 4 && editDistance(seen, expected) <= 2;
}

/** The known name closest to `wanted`, when it is a near miss; the nearest wins, then the first. */
export function closest(wanted: string, known: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    if (!isNearMiss(wanted, name)) continue;
    const distance = editDistance(wanted, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best?.name;
}
