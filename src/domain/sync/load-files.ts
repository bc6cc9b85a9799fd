import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { DefinitionKind } from '../../db/models/definition.model.js';
import { DomainError } from '../errors.js';
import { closest } from '../near-miss.js';
import { checkValueShape } from '../shape-limits.js';
import { findOperatorKeys, issuesOf } from '../validate.js';
import { type DefinitionFile, definitionFileSchema } from './definition-file.schema.js';
import { type FileIssue, type ParsedText, parseText } from './file-text.js';
import { knownKeysAt } from './schema-keys.js';

export type { FileIssue } from './file-text.js';

/** The sections of a definitions file and the kind each declares. */
export const fileSections = [
  ['journeys', 'journey'],
  ['touchpoints', 'touchpoint'],
  ['nudges', 'nudge'],
  ['experiments', 'experiment'],
  ['holdouts', 'holdout'],
  ['fatiguePolicies', 'fatigue'],
  ['templates', 'template'],
] as const satisfies readonly (readonly [keyof DefinitionFile, DefinitionKind])[];

/**
 * An item that failed its schema, as written: its references are still checked (so schema and
 * reference problems are reported in one run), and its key counts as declared.
 */
export interface BrokenItem {
  kind: DefinitionKind;
  file: string;
  /** e.g. `experiments[2]`. */
  path: string;
  raw: Record<string, unknown>;
  /** Top-level fields the schema already faulted: their references are not reported again. */
  faulted: ReadonlySet<string>;
}

/**
 * A file's items that passed their schema. A file with items that failed is loaded too: those
 * items are holes in `content` (so every other item keeps its index) and listed in `broken`.
 */
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
  /** 1-based line of a path inside the file (or of the nearest part of it the file has). */
  lineOf(pathParts: readonly PropertyKey[]): number | undefined;
  broken: BrokenItem[];
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

/** The path of a zod issue as written in messages: `experiments[0].metrics`. */
function pathText(parts: readonly PropertyKey[]): string {
  if (parts.length === 0) return '(root)';
  return parts
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** The object at a path of the parsed file, for the keys it already has. */
function objectAt(data: unknown, parts: readonly PropertyKey[]): Record<string, unknown> {
  let at: unknown = data;
  for (const p of parts) at = (at as Record<PropertyKey, unknown> | null | undefined)?.[p];
  return at && typeof at === 'object' ? (at as Record<string, unknown>) : {};
}

/**
 * A zod error as one message per problem, each with its line: a misspelt field is said once with
 * the likely name, and the tail of a value cut by an unquoted comma inside `{ }` is said as such.
 */
function zodIssues(file: string, error: z.ZodError, parsed: ParsedText): FileIssue[] {
  const formatted = issuesOf(error);
  const withLine = (reason: string, parts: readonly PropertyKey[]) => {
    const line = parsed.lineOf(parts);
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
    const present = new Set(Object.keys(objectAt(parsed.data, issue.path)));
    const unused = knownKeysAt(issue.path).filter((k) => !present.has(k));
    for (const key of issue.keys) {
      const cut = parsed.flowComma(issue.path, key);
      if (cut) {
        if (!cut.first) continue;
        const field = prefix ? `${prefix}.${cut.field}` : cut.field;
        const quoted = JSON.stringify(cut.written);
        const reason = `this value contains a comma inside { }: quote it, e.g. ${cut.field}: ${quoted}`;
        out.push({ index: i, issue: { file, path: field, reason: withLine(reason, [...issue.path, key]) } });
        continue;
      }
      const guess = closest(key, absent) ?? closest(key, unused);
      if (guess && absent.includes(guess))
        explained.add(missing.get(prefix ? `${prefix}.${guess}` : guess) ?? -1);
      const reason = `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}`;
      out.push({ index: i, issue: { file, path: parent, reason: withLine(reason, [...issue.path, key]) } });
    }
  });
  return out.filter((o) => !explained.has(o.index)).map((o) => o.issue);
}

/** Keys a file that failed validation declares (as `kind:key`), best effort. */
function collectKeys(data: unknown, into: Set<string>): void {
  if (!data || typeof data !== 'object') return;
  for (const [section, kind] of fileSections) {
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
    const data = parsed.data as Record<string, unknown[]>;
    const result = definitionFileSchema.safeParse(parsed.data);
    if (result.success) {
      files.push({ file, source, content: result.data, raw: data, lineOf: parsed.lineOf, broken: [] });
      continue;
    }
    issues.push(...zodIssues(file, result.error, parsed));
    // The items that pass on their own still take part in the reference checks; those that fail
    // are checked for what they refer to, best effort.
    const { content, broken } = itemsOf(file, data, result.error);
    files.push({ file, source, content, raw: data, lineOf: parsed.lineOf, broken });
  }
  return { files, issues, unchecked };
}

type ItemSchema = z.ZodType<{ key: string }>;

function itemSchema(section: keyof DefinitionFile): ItemSchema | undefined {
  const field = definitionFileSchema.shape[section] as unknown as { unwrap(): { element?: ItemSchema } };
  return field.unwrap().element;
}

/** Splits a file that failed validation into its valid items (at their own index) and the rest. */
function itemsOf(
  file: string,
  data: Record<string, unknown>,
  error: z.ZodError,
): { content: DefinitionFile; broken: BrokenItem[] } {
  const faulted = new Map<string, Set<string>>();
  const lost = new Set<string>();
  for (const issue of error.issues) {
    const [section, index, field] = issue.path;
    if (typeof section !== 'string') continue;
    if (typeof index !== 'number') lost.add(section);
    else {
      const at = `${section}[${index}]`;
      const fields = faulted.get(at) ?? new Set<string>();
      if (typeof field === 'string') fields.add(field);
      faulted.set(at, fields);
    }
  }
  const content: Record<string, unknown[]> = {};
  const broken: BrokenItem[] = [];
  for (const [section, kind] of fileSections) {
    const items = data[section];
    const schema = itemSchema(section);
    if (!Array.isArray(items) || lost.has(section) || !schema) continue;
    // Holes where items failed, so each item keeps its index (and its path in messages).
    const kept: unknown[] = new Array(items.length);
    items.forEach((raw, i) => {
      const at = `${section}[${i}]`;
      const parsed = faulted.has(at) ? undefined : schema.safeParse(raw);
      if (parsed?.success) kept[i] = parsed.data;
      else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
        const fields = faulted.get(at) ?? new Set<string>();
        broken.push({ kind, file, path: at, raw: raw as Record<string, unknown>, faulted: fields });
      }
    });
    content[section] = kept;
  }
  return { content: content as DefinitionFile, broken };
}
