// Dotted setting paths over plain JSON settings: the paths that differ between two versions,
// reading and writing one path, and merging a patch. Pure; never mutates its inputs.

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values (key order does not matter). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The dotted paths whose values differ between `before` and `after`, sorted. Objects are
 * compared key by key; arrays and scalars as a whole (a changed rule list is one path).
 */
export function changedPaths(before: Json, after: Json, prefix = ''): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    const out: string[] = [];
    for (const key of keys) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.push(...changedPaths(before[key], after[key], path));
    }
    return out.sort();
  }
  return jsonEqual(before, after) ? [] : [prefix === '' ? '(all)' : prefix];
}

/** The value at a dotted path, or undefined. */
export function getPath(obj: Json, path: string): Json {
  let cur: Json = obj;
  for (const key of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A copy of `obj` with `value` at the dotted `path` (intermediate objects created as needed). */
export function setPath(
  obj: Readonly<Record<string, Json>>,
  path: string,
  value: Json,
): Record<string, Json> {
  const [head, ...rest] = path.split('.');
  const key = head ?? '';
  if (rest.length === 0) return { ...obj, [key]: value };
  const inner = obj[key];
  return { ...obj, [key]: setPath(isPlainObject(inner) ? inner : {}, rest.join('.'), value) };
}

/**
 * `base` with `patch` merged in: objects merge key by key, anything else (arrays, scalars)
 * replaces; a `null` in the patch removes the key (so an optional setting can be unset).
 */
export function mergePatch(
  base: Readonly<Record<string, Json>>,
  patch: Readonly<Record<string, Json>>,
): Record<string, Json> {
  const out: Record<string, Json> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(out, key);
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = mergePatch(out[key], value);
    else out[key] = value;
  }
  return out;
}
