// Completion for the runs filter box, in MLflow's grammar: at the start of a clause the
// entity prefixes and every known metric, param, tag and attribute name; after a name the
// operators that fit it; after an operator the known values of that param or tag; after a
// value AND. Up/Down choose, Enter or Tab take the choice, Escape closes. Suggestions are
// list items filled with textContent.
import { h, clear } from './dom.js';
import { ident } from './api.js';

export const ATTRIBUTE_NAMES = ['run_id', 'run_name', 'status', 'user_id', 'start_time', 'end_time', 'artifact_uri'];
const STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const NUM_OPS = ['=', '!=', '<', '<=', '>', '>='];
const STR_OPS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NULL_OPS = ['IS NULL', 'IS NOT NULL'];
const ENTITIES = [
  ['metrics.', 'metric'], ['params.', 'param'], ['tags.', 'tag'], ['attributes.', 'attribute'], ['datasets.', 'dataset'],
];
const ENTITY_OF = { metrics: 'metric', metric: 'metric', params: 'param', param: 'param', parameter: 'param', parameters: 'param',
  tags: 'tag', tag: 'tag', attributes: 'attribute', attribute: 'attribute', attr: 'attribute', run: 'attribute',
  datasets: 'dataset', dataset: 'dataset' };
// A name is words and quoted parts with no space between (metrics.`val/loss`); a value
// a 'string', a number or a (list); operators as they are.
const TOKEN = /\s*((?:[^\s=<>!()'"`]+|`[^`]*`|"[^"]*")+|'[^']*'|\([^)]*\)|!=|<=|>=|=|<|>)/y;

// A key as the filter needs it: plain when it is a simple word, else in backquotes.
export function keyText(k) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : ident(k);
}

function entityOf(identifier) {
  const i = identifier.indexOf('.');
  if (i < 0) return { entity: 'attribute', key: identifier };
  return { entity: ENTITY_OF[identifier.slice(0, i).toLowerCase()] || null, key: identifier.slice(i + 1).replace(/^[`"]|[`"]$/g, '') };
}

// What the text before the caret expects next, and the word being typed.
export function context(before) {
  const m = /[^\s=<>!()]*$/.exec(before);
  let word = m ? m[0] : '';
  // A value being typed inside quotes counts as the word.
  const openQuote = /(['"])[^'"]*$/.exec(before);
  const left = before.slice(0, before.length - word.length);
  const toks = [];
  TOKEN.lastIndex = 0;
  let t;
  while (TOKEN.lastIndex < left.length && (t = TOKEN.exec(left))) toks.push(t[1]);
  let state = 'ident', lastIdent = null;
  for (const tok of toks) {
    const up = tok.toUpperCase();
    if (state === 'ident') { lastIdent = tok; state = 'op'; }
    else if (state === 'op') state = up === 'NOT' || up === 'IS' ? 'op' : up === 'NULL' ? 'and' : 'value';
    else if (state === 'value') state = 'and';
    else if (state === 'and' && up === 'AND') state = 'ident';
  }
  if (state === 'value' && openQuote && !/['"]\s*$/.test(left)) word = openQuote[0];
  return { state, word, ident: lastIdent ? entityOf(lastIdent) : null };
}

// keys(): {metric: [...], param: [...], tag: [...], dataset: [...]}; values(entity, key).
export function suggestions(before, keys, values) {
  const { state, word, ident: id } = context(before);
  const w = word.toLowerCase();
  const out = [];
  const push = (text, hint) => { if (out.length < 200) out.push({ text, hint }); };
  if (state === 'ident') {
    const dot = word.indexOf('.');
    if (dot >= 0) {
      const entity = ENTITY_OF[word.slice(0, dot).toLowerCase()];
      const prefix = word.slice(0, dot + 1);
      const kw = word.slice(dot + 1).replace(/^[`"]/, '').toLowerCase();
      const list = entity === 'attribute' ? ATTRIBUTE_NAMES : entity === 'dataset' ? ['name', 'digest', 'context'] : (keys()[entity] || []);
      for (const k of list) if (k.toLowerCase().includes(kw)) push(prefix + keyText(k), entity);
    } else {
      for (const [p, hint] of ENTITIES) if (p.startsWith(w)) push(p, hint);
      if (w) {
        const ks = keys();
        for (const [entity, prefix] of [['metric', 'metrics.'], ['param', 'params.'], ['tag', 'tags.']])
          for (const k of ks[entity] || []) if (k.toLowerCase().includes(w)) push(prefix + keyText(k), entity);
        for (const k of ATTRIBUTE_NAMES) if (k.includes(w)) push(`attributes.${k}`, 'attribute');
      }
    }
  } else if (state === 'op') {
    const ops = !id || id.entity === 'metric' || (id.entity === 'attribute' && /time$/.test(id.key)) ? NUM_OPS
      : id.entity === 'param' || id.entity === 'tag' ? [...STR_OPS, ...NULL_OPS] : STR_OPS;
    for (const o of ops) if (!w || o.toLowerCase().startsWith(w)) push(o, 'operator');
  } else if (state === 'value' && id) {
    const vals = id.entity === 'attribute' && id.key === 'status' ? STATUSES : values(id.entity, id.key);
    const bare = w.replace(/^['"]/, '');
    for (const v of vals) if (String(v).toLowerCase().includes(bare)) push(`'${String(v).replace(/'/g, '')}'`, 'value');
  } else if (state === 'and') {
    if ('and'.startsWith(w)) push('AND', 'keyword');
  }
  return { word, items: out.slice(0, 12) };
}

// Wires the completion list to input. onEnter runs the search when no choice is open.
export function attachAutocomplete(input, keys, values, onEnter) {
  const list = h('ul', { class: 'ac-list', role: 'listbox', hidden: true });
  const wrap = h('div', { class: 'ac-wrap grow' });
  input.replaceWith(wrap);
  wrap.append(input, list);
  input.setAttribute('autocomplete', 'off');
  input.setAttribute('aria-autocomplete', 'list');
  let items = [], word = '', active = -1;

  function close() {
    list.hidden = true;
    active = -1;
  }

  function render() {
    clear(list);
    items.forEach((it, i) => list.appendChild(h('li', {
      class: `ac-item${i === active ? ' active' : ''}`, role: 'option', dataset: { i: String(i) },
      onmousedown: (e) => { e.preventDefault(); accept(i); },
    }, h('span', { class: 'ac-text' }, it.text), h('span', { class: 'ac-hint muted' }, it.hint))));
    list.hidden = items.length === 0;
  }

  function update() {
    const pos = input.selectionStart ?? input.value.length;
    const r = suggestions(input.value.slice(0, pos), keys, values);
    // Nothing to offer for a word already complete.
    items = r.items.filter((it) => it.text !== r.word);
    word = r.word;
    active = items.length ? 0 : -1;
    render();
  }

  function accept(i) {
    const it = items[i];
    if (!it) return;
    const pos = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, pos - word.length);
    const after = input.value.slice(pos).replace(/^\S*/, '');
    const insert = `${it.text} `;
    input.value = before + insert + after.replace(/^\s+/, '');
    const caret = before.length + insert.length;
    input.setSelectionRange(caret, caret);
    update();
    input.focus();
  }

  input.addEventListener('input', update);
  input.addEventListener('focus', update);
  input.addEventListener('click', update);
  input.addEventListener('blur', () => setTimeout(close, 100));
  // Tab takes the highlighted suggestion; Enter does only once the user has moved through
  // the list with the arrow keys, so Enter after typing a whole filter runs the search.
  let armed = false;
  input.addEventListener('input', () => { armed = false; });
  input.addEventListener('keydown', (e) => {
    const open = !list.hidden && items.length > 0;
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && open) {
      e.preventDefault();
      armed = true;
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      render();
    } else if (e.key === 'Tab' && open && active >= 0) {
      e.preventDefault();
      accept(active);
    } else if (e.key === 'Enter' && open && armed && active >= 0) {
      e.preventDefault();
      armed = false;
      accept(active);
    } else if (e.key === 'Escape') {
      close();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      close();
      onEnter();
    }
  });
  return { close, wrap };
}
