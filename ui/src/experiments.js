// The experiments page: search by name, active or deleted, create, rename, delete and
// restore, and pick several experiments to see their runs in one table.
import { h, clear, fmtTime, confirmAction, promptText, showError, toast, empty, spinner, debounce } from './dom.js';
import { mlflow, quote } from './api.js';
import { gate } from './access.js';
import { setQuery } from './url.js';

export async function experimentsPage(root, q) {
  const state = { q: q.get('q') || '', view: ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].includes(q.get('view')) ? q.get('view') : 'ACTIVE_ONLY', token: null, items: [], selected: new Set() };
  document.title = 'Experiments · mltrack';
  const search = h('input', { type: 'search', placeholder: 'Search experiments by name', class: 'grow', 'aria-label': 'Search experiments', value: state.q });
  const view = h('select', { 'aria-label': 'Lifecycle' },
    h('option', { value: 'ACTIVE_ONLY' }, 'Active'),
    h('option', { value: 'DELETED_ONLY' }, 'Deleted'),
    h('option', { value: 'ALL' }, 'All'));
  const newName = h('input', { type: 'text', placeholder: 'New experiment name', 'aria-label': 'New experiment name' });
  const createBtn = h('button', { class: 'primary', onclick: create }, 'Create');
  const compareBtn = h('button', { disabled: true, onclick: () => {
    location.hash = `#/experiments/${[...state.selected].join(',')}`;
  } }, 'Show runs of selected');
  const list = h('div', { class: 'list' });
  const more = h('button', { hidden: true, onclick: () => load(false) }, 'Load more');

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Experiments')),
    h('div', { class: 'toolbar' }, search, view, compareBtn),
    h('div', { class: 'toolbar' }, newName, createBtn),
    list, more);

  view.value = state.view;
  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); setQuery({ q: state.q }); load(true); }, 250));
  view.addEventListener('change', () => { state.view = view.value; setQuery({ view: state.view === 'ACTIVE_ONLY' ? null : state.view }, true); load(true); });
  newName.addEventListener('keydown', (e) => { if (e.key === 'Enter') create(); });

  async function create() {
    const name = newName.value.trim();
    if (!name) return showError(new Error('Type a name for the new experiment first.'));
    try {
      const r = await mlflow('POST', 'experiments/create', { name });
      newName.value = '';
      toast(`Created experiment "${name}"`);
      location.hash = `#/experiments/${r.experiment_id}`;
    } catch (e) {
      showError(e);
    }
  }

  async function load(reset) {
    if (reset) {
      state.token = null;
      state.items = [];
      clear(list).appendChild(spinner());
    }
    const body = { max_results: 200, view_type: state.view, order_by: ['last_update_time DESC'] };
    if (state.q) body.filter = `name ILIKE ${quote(`%${state.q}%`)}`;
    if (state.token) body.page_token = state.token;
    try {
      const r = await mlflow('POST', 'experiments/search', body);
      state.items.push(...(r.experiments || []));
      state.token = r.next_page_token || null;
      render();
    } catch (e) {
      clear(list);
      showError(e);
    }
  }

  function render() {
    clear(list);
    more.hidden = !state.token;
    if (!state.items.length) return list.appendChild(empty('No experiments match.'));
    const rows = state.items.map((x) => {
      const id = x.experiment_id;
      const cb = h('input', { type: 'checkbox', checked: state.selected.has(id), 'aria-label': `Select ${x.name}`, onchange: (e) => {
        if (e.target.checked) state.selected.add(id); else state.selected.delete(id);
        compareBtn.disabled = state.selected.size === 0;
        compareBtn.textContent = state.selected.size > 1 ? `Show runs of ${state.selected.size} experiments` : 'Show runs of selected';
      } });
      const deleted = x.lifecycle_stage === 'deleted';
      return h('tr', { dataset: { id } },
        h('td', null, cb),
        h('td', null, h('a', { href: `#/experiments/${encodeURIComponent(id)}`, class: 'exp-name' }, x.name)),
        h('td', { class: 'mono muted' }, id),
        h('td', null, fmtTime(x.creation_time)),
        h('td', null, fmtTime(x.last_update_time)),
        h('td', null, deleted ? h('span', { class: 'badge gray' }, 'deleted') : ''),
        h('td', { class: 'actions' },
          gate(h('button', { class: 'small', onclick: () => rename(x) }, 'Rename'), 'experiment', id, 'EDIT'),
          gate(deleted
            ? h('button', { class: 'small', onclick: () => restore(x) }, 'Restore')
            : h('button', { class: 'small danger', onclick: () => remove(x) }, 'Delete'), 'experiment', id, 'MANAGE')));
    });
    list.appendChild(h('table', { class: 'grid' },
      h('thead', null, h('tr', null, h('th', null, ''), h('th', null, 'Name'), h('th', null, 'ID'),
        h('th', null, 'Created'), h('th', null, 'Last updated'), h('th', null, ''), h('th', null, ''))),
      h('tbody', null, rows)));
  }

  async function rename(x) {
    const name = await promptText('Rename experiment', 'New name', x.name);
    if (name === null || name.trim() === '' || name === x.name) return;
    try {
      await mlflow('POST', 'experiments/update', { experiment_id: x.experiment_id, new_name: name.trim() });
      x.name = name.trim();
      render();
      toast('Renamed');
    } catch (e) {
      showError(e);
    }
  }

  async function remove(x) {
    if (!(await confirmAction('Delete experiment', `Delete the experiment "${x.name}" and its runs? You can restore it later.`, 'Delete', true))) return;
    try {
      await mlflow('POST', 'experiments/delete', { experiment_id: x.experiment_id });
      toast('Deleted');
      load(true);
    } catch (e) {
      showError(e);
    }
  }

  async function restore(x) {
    try {
      await mlflow('POST', 'experiments/restore', { experiment_id: x.experiment_id });
      toast('Restored');
      load(true);
    } catch (e) {
      showError(e);
    }
  }

  await load(true);
}
