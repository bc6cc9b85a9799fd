/** Reading duplicate-key errors (code 11000) of single writes and unordered bulk writes. */

interface BulkError {
  code?: number;
  writeErrors?: { code?: number; err?: { code?: number } }[];
}

/** True when every write error of an unordered bulk write is a duplicate key (already stored). */
export function onlyDuplicates(err: unknown): boolean {
  const e = err as BulkError;
  if (Array.isArray(e?.writeErrors) && e.writeErrors.length > 0) {
    return e.writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
  }
  return e?.code === 11000;
}

/** Positions the unordered bulk insert refused as duplicates. */
export function duplicateIndexes(err: unknown): number[] {
  const e = err as { writeErrors?: { index?: number; code?: number; err?: { index?: number } }[] };
  return (e.writeErrors ?? []).map((w) => w.index ?? w.err?.index ?? -1).filter((i) => i >= 0);
}
