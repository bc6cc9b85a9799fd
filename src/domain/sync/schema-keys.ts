/**
 * The field names a definitions file may use at a path, read from the file's JSON Schema (the
 * one editors get, generated from the zod schemas), for "did you mean" on an unknown key. Unions
 * (nudge types and their payloads) offer the fields of every branch.
 */
import { definitionFileJsonSchema } from './definition-file.schema.js';

interface Node {
  $ref?: string;
  properties?: Record<string, Node>;
  items?: Node;
  prefixItems?: Node[];
  anyOf?: Node[];
  oneOf?: Node[];
  allOf?: Node[];
}

let root: Node | undefined;

function resolve(node: Node): Node {
  const ref = node.$ref;
  if (!ref?.startsWith('#/')) return node;
  let at: unknown = root;
  for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part];
  return (at as Node | undefined) ?? {};
}

/** The node and every branch of its unions, references followed. */
function expand(node: Node, seen = new Set<Node>()): Node[] {
  const n = resolve(node);
  if (seen.has(n)) return [];
  seen.add(n);
  const branches = [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])];
  return [n, ...branches.flatMap((b) => expand(b, seen))];
}

/** Field names of the object at `path` inside a definitions file (empty when the path is unknown). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  root ??= definitionFileJsonSchema() as Node;
  let nodes = expand(root);
  for (const part of path) {
    nodes = nodes.flatMap((n) => {
      if (typeof part === 'number')
        return n.items ? expand(n.items) : (n.prefixItems ?? []).flatMap((p) => expand(p));
      const child = n.properties?.[String(part)];
      return child ? expand(child) : [];
    });
  }
  return [...new Set(nodes.flatMap((n) => Object.keys(n.properties ?? {})))];
}
