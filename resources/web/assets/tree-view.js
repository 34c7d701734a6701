// Tree tab: browse the etcd keyspace one directory page at a time (GET /api/v1/tree), search by
// key prefix, and show one key's value pretty-printed (GET /api/v1/key).

import { debounce, el, formatCount, setText } from './dom.js';
import { fetchJson } from './feed-connection.js';
import { renderValue } from './json-view.js';

const PAGE = 200;

function parentOf(prefix) {
  const i = prefix.lastIndexOf('/');
  return i < 0 ? '/' : prefix.slice(0, i + 1);
}

// `after` is exclusive; the string just before `s` starts the listing at the first key >= s.
function justBefore(s) {
  const last = s.charCodeAt(s.length - 1);
  return last > 0 ? s.slice(0, -1) + String.fromCharCode(last - 1) + '\uffff' : s.slice(0, -1);
}

export class TreeView {
  constructor(section, store, emptyReason) {
    this.store = store;
    this.emptyReason = emptyReason;
    this.search = section.querySelector('#tree-search');
    this.crumbs = section.querySelector('#tree-breadcrumbs');
    this.listEl = section.querySelector('#tree-list');
    this.more = section.querySelector('#tree-more');
    this.status = section.querySelector('#tree-status');
    this.pane = section.querySelector('#value-pane');
    this.request = 0;
    this.loaded = false;
    this.selected = '';
    this.search.addEventListener('input', debounce(() => this.list(this.search.value || '/'), 200));
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.list(this.search.value || '/');
    });
    this.more.addEventListener('click', () => this.loadPage());
    this.listEl.addEventListener('click', (e) => {
      const up = e.target.closest('[data-testid=tree-up]');
      if (up) return this.navigate(up.dataset.prefix);
      const row = e.target.closest('[data-testid=tree-row]');
      if (!row) return;
      if (row.dataset.dir === 'true') this.navigate(row.dataset.key);
      else this.showKey(row.dataset.key);
    });
    this.crumbs.addEventListener('click', (e) => {
      const crumb = e.target.closest('[data-prefix]');
      if (crumb) this.navigate(crumb.dataset.prefix);
    });
    this.renderPaneEmpty('Select a key to see its value');
  }

  setVisible(visible) {
    this.visible = visible;
    if (visible && !this.loaded && this.store.hasSnapshot) this.navigate(this.search.value || '/');
  }

  update(topics) {
    if (topics.has('snapshot') && this.visible && !this.loaded) this.navigate(this.search.value || '/');
  }

  tick() {}

  navigate(prefix) {
    this.search.value = prefix;
    this.list(prefix);
  }

  // A search ending in '/' lists that directory; otherwise the directory above it, starting at
  // the typed name and stopping at the first child that no longer starts with it.
  list(query) {
    if (!query.startsWith('/')) query = `/${query}`;
    const dir = query.endsWith('/') ? query : parentOf(query);
    this.query = query;
    this.dir = dir;
    this.namePrefix = query.slice(dir.length);
    this.next = this.namePrefix ? justBefore(query) : '';
    this.count = 0;
    this.loaded = true;
    this.listEl.replaceChildren();
    if (dir !== '/') {
      this.listEl.append(el('button', { type: 'button', class: 'tree-row is-up', 'data-testid': 'tree-up', 'data-prefix': parentOf(dir.slice(0, -1)) },
        el('span', { class: 'tree-icon', 'aria-hidden': 'true', text: '↰' }), el('span', { class: 'tree-name mono', text: '..' }), el('span')));
    }
    this.renderCrumbs(dir);
    this.loadPage();
  }

  async loadPage() {
    const id = ++this.request;
    this.more.hidden = true;
    setText(this.status, `Listing ${this.dir}…`);
    this.status.dataset.kind = 'loading';
    let page;
    try {
      page = await fetchJson('api/v1/tree', { prefix: this.dir, limit: PAGE, after: this.next });
    } catch (err) {
      if (id !== this.request) return;
      const etcd = this.store.etcd;
      const detail = etcd.status === 'error' || etcd.status === 'disconnected' ? ` — etcd unreachable: ${etcd.error || etcd.status}` : '';
      setText(this.status, `Could not list ${this.dir}: ${err.message}${detail}`);
      this.status.dataset.kind = 'error';
      return;
    }
    if (id !== this.request) return;
    let stopped = false;
    const rows = [];
    for (const child of page.children || []) {
      if (this.namePrefix && !child.name.startsWith(this.namePrefix)) {
        stopped = true;
        break;
      }
      rows.push(this.row(child));
    }
    this.listEl.append(...rows);
    this.count += rows.length;
    this.next = page.next || '';
    this.more.hidden = stopped || !page.more;
    const shown = `${formatCount(this.count)} ${this.count === 1 ? 'entry' : 'entries'}`;
    if (this.count === 0) {
      setText(this.status, this.namePrefix ? `No keys under ${this.dir} start with “${this.namePrefix}”` : `No keys under ${this.dir}`);
      this.status.dataset.kind = 'empty';
    } else {
      setText(this.status, `${shown} under ${this.dir}${this.namePrefix ? ` starting with “${this.namePrefix}”` : ''}${page.more && !stopped ? ' (more below)' : ''} · revision ${page.revision ?? '?'}`);
      this.status.dataset.kind = 'ok';
    }
  }

  row(child) {
    const row = el('button', {
      type: 'button', class: `tree-row${child.dir ? ' is-dir' : ''}`, 'data-testid': 'tree-row',
      'data-key': child.key, 'data-dir': child.dir ? 'true' : 'false',
    },
    el('span', { class: 'tree-icon', 'aria-hidden': 'true', text: child.dir ? '▸' : '·' }),
    el('span', { class: 'tree-name mono', text: child.dir ? `${child.name}/` : child.name }),
    el('span', { class: 'tree-size num', text: child.dir ? '' : `${formatCount(child.size ?? 0)} B` }));
    if (child.key === this.selected) row.classList.add('is-selected');
    row.title = child.key;
    return row;
  }

  renderCrumbs(dir) {
    const parts = dir.split('/').filter(Boolean);
    const crumbs = [el('button', { type: 'button', class: 'crumb mono', 'data-prefix': '/', text: '/' })];
    let acc = '/';
    for (const part of parts) {
      acc += `${part}/`;
      crumbs.push(el('button', { type: 'button', class: 'crumb mono', 'data-prefix': acc, text: `${part}/` }));
    }
    this.crumbs.replaceChildren(...crumbs);
  }

  renderPaneEmpty(text) {
    this.pane.replaceChildren(el('div', { class: 'pane-empty', text }));
  }

  async showKey(key) {
    this.selected = key;
    for (const r of this.listEl.querySelectorAll('.tree-row.is-selected')) r.classList.remove('is-selected');
    const row = [...this.listEl.children].find((r) => r.dataset.key === key);
    if (row) row.classList.add('is-selected');
    this.pane.dataset.key = key;
    this.renderPaneEmpty(`Loading ${key}…`);
    let kv;
    try {
      kv = await fetchJson('api/v1/key', { key });
    } catch (err) {
      if (this.selected === key) this.renderPaneEmpty(`Could not read ${key}: ${err.message}`);
      return;
    }
    if (this.selected !== key) return;
    const value = renderValue(kv.value ?? '');
    const meta = el('dl', { class: 'kv-meta' });
    for (const [label, v] of [['created', kv.createRevision], ['modified', kv.modRevision], ['version', kv.version],
      ['lease', kv.lease && kv.lease !== '0' && kv.lease !== 0 ? kv.lease : 'none'], ['format', value.kind]]) {
      meta.append(el('div', {}, el('dt', { text: label }), el('dd', { class: 'mono', text: String(v ?? '—') })));
    }
    this.pane.replaceChildren(
      el('div', { class: 'pane-key mono', 'data-testid': 'value-key', text: kv.key || key }),
      meta, value.node);
  }
}
