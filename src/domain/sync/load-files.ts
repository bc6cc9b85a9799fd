import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { DomainError } from '../errors.js';
import { closest } from '../near-miss.js';
import { checkValueShape } from '../shape-limits.js';
import { findOperatorKeys, issuesOf } from '../validate.js';
import { type DefinitionFile, definitionFileSchema } from './definition-file.schema.js';

/** One problem in one file: `file: path.inside.file: reason`. */
export interface FileIssue {
  file: string;
  path: string;
  reason: string;
}

export interface LoadedFile {
  /** As messages show it: relative to the display base (the working directory). */
  file: string;
  /**
   * As stored on the definitions it manages: relative to the folder above the synced one, so
   * `experiments/retail-checkout.yaml` whatever the working directory.
   */
  source: string;
  content: DefinitionFile;
  /** The file's items as written (before defaults), by section and index: what the services receive. */
  raw: Record<string, unknown[]>;
  /** 1-based line of a path inside the file, when the format tells (YAML). */
  lineOf(pathParts: readonly PropertyKey[]): number | undefined;
}

export const GENERATED_SCHEMA_FILE = 'schema.json';
/** A definition file is a few hundred lines; anything this large is a mistake or an attack. */
const MAX_FILE_CHARS = 1024 * 1024;

export function formatIssue(issue: FileIssue): string {
  return `${issue.file}: ${issue.path}: ${issue.reason}`;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => path.relative(dir, f) !== GENERATED_SCHEMA_FILE)
    .sort();
}

function parseText(file: string, text: string): { data: unknown; lineOf: LoadedFile['lineOf'] } | FileIssue {
  if (/\.json$/i.test(file)) {
    try {
      return { data: JSON.parse(text), lineOf: () => undefined };
    } catch (err) {
      return { file, path: '(root)', reason: `invalid JSON: ${(err as Error).message}` };
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0]?.line;
    const first = error.message.split('\n')[0];
    return { file, path: line ? `line ${line}` : '(root)', reason: `invalid YAML: ${first}` };
  }
  let data: unknown;
  try {
    // The yaml library refuses alias expansions it judges excessive by throwing.
    data = doc.toJS() ?? {};
  } catch (err) {
    return { file, path: '(root)', reason: `invalid YAML: ${(err as Error).message}` };
  }
  return {
    data,
    lineOf(parts) {
      const node = doc.getIn(parts as unknown[], true) as { range?: [number, number, number] } | undefined;
      const offset = node?.range?.[0];
      return offset === undefined ? undefined : lineCounter.linePos(offset).line;
    },
  };
}

/** The path of a zod issue as written in messages: `experiments[0].metrics`. */
function pathText(parts: readonly PropertyKey[]): string {
  if (parts.length === 0) return '(root)';
  return parts
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function zodIssues(file: string, error: z.ZodError, lineOf: LoadedFile['lineOf']): FileIssue[] {
  const formatted = issuesOf(error);
  const withLine = (reason: string, parts: readonly PropertyKey[]) => {
    const line = lineOf(parts);
    return line ? `${reason} (line ${line})` : reason;
  };
  // A misspelt key is both an unknown key and a missing one: said once, as a "did you mean".
  const missing = new Map<string, number>();
  error.issues.forEach((issue, i) => {
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      missing.set(pathText(issue.path), i);
    }
  });
  const explained = new Set<number>();
  const out: { index: number; issue: FileIssue }[] = [];
  error.issues.forEach((issue, i) => {
    if (issue.code !== 'unrecognized_keys') {
      const at = formatted[i] ?? { path: '(root)', reason: issue.message };
      out.push({ index: i, issue: { file, path: at.path, reason: withLine(at.reason, issue.path) } });
      return;
    }
    const parent = pathText(issue.path);
    const prefix = parent === '(root)' ? '' : parent;
    const absent = [...missing.keys()]
      .filter((p) => p.startsWith(prefix) && /^\.?[^.[\]]+$/.test(p.slice(prefix.length)))
      .map((p) => p.slice(prefix.length).replace(/^\./, ''));
    for (const key of issue.keys) {
      const guess = closest(key, absent);
      if (guess) explained.add(missing.get(prefix ? `${prefix}.${guess}` : guess) ?? -1);
      const reason = `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}`;
      out.push({ index: i, issue: { file, path: parent, reason: withLine(reason, [...issue.path, key]) } });
    }
  });
  return out.filter((o) => !explained.has(o.index)).map((o) => o.issue);
}

/** Keys a file that failed validation declares (as `kind:key`), best effort. */
function collectKeys(data: unknown, into: Set<string>): void {
  if (!data || typeof data !== 'object') return;
  const kinds = {
    journeys: 'journey',
    touchpoints: 'touchpoint',
    nudges: 'nudge',
    experiments: 'experiment',
  };
  for (const [section, kind] of Object.entries(kinds)) {
    const items = (data as Record<string, unknown>)[section];
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const key = (item as { key?: unknown } | null)?.key;
      if (typeof key === 'string') into.add(`${kind}:${key}`);
    }
  }
}

/**
 * Reads and validates every YAML/JSON file under `dir` (recursively, except the generated
 * schema.json) with the definition file schema. Returns every file's issues, not just the first.
 */
export async function loadDefinitionFiles(
  dir: string,
  displayBase = process.cwd(),
): Promise<{ files: LoadedFile[]; issues: FileIssue[]; unchecked: Set<string> }> {
  const files: LoadedFile[] = [];
  const issues: FileIssue[] = [];
  const unchecked = new Set<string>();
  let paths: string[];
  try {
    paths = await listFiles(dir);
  } catch (err) {
    return {
      files,
      issues: [{ file: dir, path: '(root)', reason: `cannot read: ${(err as Error).message}` }],
      unchecked,
    };
  }
  const sourceRoot = path.dirname(path.resolve(dir));
  for (const abs of paths) {
    const file = path.relative(displayBase, abs) || abs;
    const source = path.relative(sourceRoot, abs).split(path.sep).join('/');
    const text = await readFile(abs, 'utf8');
    if (text.length > MAX_FILE_CHARS) {
      issues.push({ file, path: '(root)', reason: `larger than ${MAX_FILE_CHARS} characters` });
      continue;
    }
    const parsed = parseText(file, text);
    if ('reason' in parsed) {
      issues.push(parsed);
      continue;
    }
    // Bounded before anything walks it: YAML anchors can make a small file a very large value.
    try {
      checkValueShape(parsed.data);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      issues.push({ file, path: '(root)', reason: err.message });
      continue;
    }
    // As over HTTP: no `$`-prefixed keys outside targeting conditions (the top-level `$schema` aside).
    const sections = parsed.data && typeof parsed.data === 'object' ? Object.entries(parsed.data) : [];
    const operators = sections
      .filter(([section]) => section !== '$schema')
      .flatMap(([section, items]) => findOperatorKeys(items, ['targeting'], section));
    if (operators.length > 0) {
      issues.push(...operators.map((o) => ({ file, ...o })));
      collectKeys(parsed.data, unchecked);
      continue;
    }
    const result = definitionFileSchema.safeParse(parsed.data);
    if (!result.success) {
      issues.push(...zodIssues(file, result.error, parsed.lineOf));
      collectKeys(parsed.data, unchecked);
      continue;
    }
    const data = parsed.data as Record<string, unknown[]>;
    files.push({ file, source, content: result.data, raw: data, lineOf: parsed.lineOf });
  }
  return { files, issues, unchecked };
}
