import { isMap, isScalar, LineCounter, type Node, type Pair, parseDocument } from 'yaml';

/** One problem in one file: `file: path.inside.file: reason`. */
export interface FileIssue {
  file: string;
  path: string;
  reason: string;
}

/** What an unquoted comma inside `{ }` cut a value into: the field, and the value as it was written. */
export interface FlowComma {
  field: string;
  written: string;
  /** Only the first of the keys a value was cut into is reported; the rest are the same mistake. */
  first: boolean;
}

export interface ParsedText {
  data: unknown;
  /** 1-based line of a path, or of the nearest part of it the file has (a missing field: its object). */
  lineOf(parts: readonly PropertyKey[]): number | undefined;
  /** For an unknown key of the object at `parent`: whether it is the tail of a value cut by a comma. */
  flowComma(parent: readonly PropertyKey[], key: string): FlowComma | undefined;
}

const none = () => undefined;

function nearestLine(find: (parts: readonly PropertyKey[]) => number | undefined) {
  return (parts: readonly PropertyKey[]) => {
    for (let n = parts.length; n >= 0; n--) {
      const line = find(parts.slice(0, n));
      if (line !== undefined) return line;
    }
    return undefined;
  };
}

/**
 * In a flow mapping (`{ frame: gain, message: Get 2,000 points. }`) a comma ends a plain value,
 * so `000 points.` becomes a key without a value. Such a key directly after a plain value, with
 * no colon of its own, is that cut; the value as written runs from the value to the last such key.
 */
function cutByComma(text: string, map: { items: Pair[] }, key: string): FlowComma | undefined {
  const items = map.items;
  const cut = (p: Pair | undefined) =>
    p !== undefined &&
    p.value === null &&
    isScalar(p.key) &&
    p.key.range !== undefined &&
    p.key.range !== null &&
    !/^\s*:/.test(text.slice(p.key.range[1]));
  const at = items.findIndex((p) => isScalar(p.key) && String(p.key.value) === key);
  if (at < 1 || !cut(items[at])) return undefined;
  let start = at;
  while (start > 0 && cut(items[start - 1])) start--;
  const head = items[start - 1];
  const value = head?.value as Node | null | undefined;
  if (!head || !isScalar(head.key) || !isScalar(value) || value.type !== 'PLAIN' || !value.range) {
    return undefined;
  }
  let end = at;
  while (cut(items[end + 1])) end++;
  const last = (items[end]!.key as { range: [number, number, number] }).range;
  return {
    field: String(head.key.value),
    written: text.slice(value.range[0], last[1]),
    first: start === at,
  };
}

/** Parses a file's text; YAML errors and invalid JSON come back as the file's one issue. */
export function parseText(file: string, text: string): ParsedText | FileIssue {
  const json = /\.json$/i.test(file);
  let data: unknown;
  if (json) {
    try {
      data = JSON.parse(text);
    } catch (err) {
      return { file, path: '(root)', reason: `invalid JSON: ${(err as Error).message}` };
    }
  }
  // JSON is YAML too: read as YAML, a JSON file's paths have lines like a YAML file's.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: !json });
  const error = doc.errors[0];
  if (error && !json) {
    const line = error.linePos?.[0]?.line;
    const first = error.message.split('\n')[0];
    return { file, path: line ? `line ${line}` : '(root)', reason: `invalid YAML: ${first}` };
  }
  if (!json) {
    try {
      // The yaml library refuses alias expansions it judges excessive by throwing.
      data = doc.toJS() ?? {};
    } catch (err) {
      return { file, path: '(root)', reason: `invalid YAML: ${(err as Error).message}` };
    }
  }
  if (error) return { data, lineOf: none, flowComma: none };
  const lineAt = (parts: readonly PropertyKey[]) => {
    const node = doc.getIn(parts as unknown[], true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return {
    data,
    lineOf: nearestLine(lineAt),
    flowComma(parent, key) {
      if (json) return undefined;
      const map = doc.getIn(parent as unknown[], true);
      return isMap(map) && map.flow ? cutByComma(text, map as { items: Pair[] }, key) : undefined;
    },
  };
}
