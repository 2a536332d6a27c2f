// A form generated from a JSON Schema (the channel settings schema): one labelled control per key
// with its description and default, nested objects as collapsible groups, and a discriminator
// (`type`) that picks the branch of a oneOf. Reads back only what differs from the defaults, so
// the server fills in the rest; field errors from the server are shown beside their field.
import { h } from './dom.js';

const human = (k) => k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

/** The branch of a oneOf whose `type` const is `value`. */
function branchOf(schema, value) {
  return (schema.oneOf ?? schema.anyOf ?? []).find((b) => b.properties?.type?.const === value);
}

function discriminators(schema) {
  return (schema.oneOf ?? schema.anyOf ?? [])
    .map((b) => b.properties?.type?.const)
    .filter((v) => typeof v === 'string');
}

function get(obj, path) {
  return path.reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function set(obj, path, v) {
  let o = obj;
  path.slice(0, -1).forEach((k) => (o = o[k] ??= {}));
  o[path.at(-1)] = v;
}

/**
 * schemaForm(schema, {values, idPrefix}) → {el, read(): settings, showErrors(fields): unmatched,
 * typeSelect}. `values`: the current settings (edit) or {} (create).
 */
export function schemaForm(schema, { values = {}, idPrefix = 'f', fixedType } = {}) {
  const controls = new Map(); // "a.b.c" → {input, kind, def, error}
  const types = discriminators(schema);
  const typeSelect = h(
    'select',
    { id: `${idPrefix}-type`, 'data-path': 'type', disabled: fixedType !== undefined },
    types.map((t) => h('option', { value: t, selected: t === (values.type ?? fixedType ?? types[0]) }, t)),
  );
  const body = h('div', { class: 'schema-body' });

  function control(path, s) {
    const key = path.join('.');
    const id = `${idPrefix}-${path.join('-')}`;
    const current = get(values, path);
    const def = s.default;
    const err = h('div', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
    const desc = s.description ? h('div', { class: 'help', id: `${id}-help` }, s.description) : null;
    const describedBy = [s.description ? `${id}-help` : '', `${id}-error`].filter(Boolean).join(' ');
    let input;
    let kind;
    const enumValues = s.enum ?? (s.anyOf ?? []).flatMap((x) => x.enum ?? []);
    if (s.type === 'boolean') {
      kind = 'boolean';
      input = h('input', {
        id,
        type: 'checkbox',
        checked: current ?? def ?? false,
        'aria-describedby': describedBy,
      });
    } else if (Array.isArray(s.enum)) {
      kind = 'enum';
      input = h(
        'select',
        { id, 'aria-describedby': describedBy },
        def === undefined ? h('option', { value: '' }, '(not set)') : null,
        s.enum.map((v) => h('option', { value: v, selected: v === (current ?? def) }, String(v))),
      );
    } else if (s.type === 'integer' || s.type === 'number') {
      kind = s.type;
      input = h('input', {
        id,
        type: 'number',
        min: s.minimum ?? s.exclusiveMinimum,
        max: s.maximum ?? s.exclusiveMaximum,
        step: s.type === 'integer' ? 1 : 'any',
        value: current ?? '',
        placeholder: def !== undefined ? String(def) : '',
        'aria-describedby': describedBy,
      });
    } else if (s.type === 'string' || enumValues.length > 0) {
      kind = 'string';
      const listId = enumValues.length ? `${id}-list` : undefined;
      input = h('input', {
        id,
        type: 'text',
        value: current ?? '',
        placeholder: def !== undefined ? String(def) : '',
        list: listId,
        'aria-describedby': describedBy,
      });
      if (listId)
        input = [
          input,
          h(
            'datalist',
            { id: listId },
            enumValues.map((v) => h('option', { value: v })),
          ),
        ];
    } else {
      kind = 'json';
      input = h('textarea', {
        id,
        rows: 3,
        placeholder: def !== undefined ? JSON.stringify(def) : 'JSON',
        'aria-describedby': describedBy,
      });
      if (current !== undefined) input.value = JSON.stringify(current, null, 1);
    }
    const el = Array.isArray(input) ? input[0] : input;
    el.setAttribute('data-path', key);
    controls.set(key, { input: el, kind, def, current, err, path });
    return h(
      'div',
      { class: `field field-${kind}` },
      h('label', { for: id }, human(path.at(-1))),
      input,
      desc,
      err,
    );
  }

  function group(path, s, depth) {
    const props = Object.entries(s.properties ?? {}).filter(([k]) => !(depth === 0 && k === 'type'));
    const items = props.map(([k, sub]) =>
      sub.type === 'object' && sub.properties
        ? group([...path, k], sub, depth + 1)
        : control([...path, k], sub),
    );
    if (depth === 0) return items;
    const open = depth === 1 && path[0] !== 'pipeline';
    return h(
      'details',
      { class: 'group', open, 'data-group': path.join('.') },
      h(
        'summary',
        {},
        human(path.at(-1)),
        s.description ? h('span', { class: 'muted small' }, ` — ${s.description}`) : null,
      ),
      items,
    );
  }

  function draw() {
    controls.clear();
    const branch = types.length ? branchOf(schema, typeSelect.value) : schema;
    body.replaceChildren(...[group([], branch ?? { properties: {} }, 0)].flat());
  }
  typeSelect.addEventListener('change', draw);
  draw();

  return {
    el: h(
      'div',
      { class: 'schema-form' },
      types.length
        ? h(
            'div',
            { class: 'field' },
            h('label', { for: typeSelect.id }, 'Type'),
            typeSelect,
            h('div', { class: 'field-error', hidden: true }),
          )
        : null,
      body,
    ),
    typeSelect,
    /** The settings the user set: values that differ from the default (for an edit: from the current). */
    read() {
      const out = types.length ? { type: typeSelect.value } : {};
      for (const c of controls.values()) {
        c.err.hidden = true;
        const v = readValue(c);
        if (v === undefined) continue;
        if (c.current === undefined && JSON.stringify(v) === JSON.stringify(c.def)) continue;
        set(out, c.path, v);
      }
      return out;
    },
    /** Shows [{path, message}] beside their fields; returns those that match no field. */
    showErrors(fields) {
      const rest = [];
      for (const f of fields) {
        const c = controls.get(String(f.path).replace(/^settings\./, ''));
        if (!c) {
          rest.push(f);
          continue;
        }
        c.err.hidden = false;
        c.err.textContent = f.message;
        c.input.setAttribute('aria-invalid', 'true');
        c.input.closest('details')?.setAttribute('open', '');
      }
      const first = fields.map((f) => controls.get(String(f.path).replace(/^settings\./, ''))).find(Boolean);
      first?.input.focus();
      return rest;
    },
  };
}

function readValue(c) {
  const el = c.input;
  el.removeAttribute('aria-invalid');
  if (c.kind === 'boolean') return el.checked;
  const raw = el.value.trim();
  if (raw === '') return c.current !== undefined ? null : undefined; // cleared: removed (merge patch)
  if (c.kind === 'integer' || c.kind === 'number') return Number(raw);
  if (c.kind === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** The settings' changes from `before` to `after` as a merge patch (objects key by key). */
export function mergePatch(before, after) {
  const patch = {};
  for (const [k, v] of Object.entries(after)) {
    const b = before?.[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      const inner = mergePatch(b, v);
      if (Object.keys(inner).length) patch[k] = inner;
    } else if (JSON.stringify(v) !== JSON.stringify(b)) patch[k] = v;
  }
  return patch;
}
