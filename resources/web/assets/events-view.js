// Events tab: the live timeline, newest first, with filters by host, service and action and a
// pause button. While paused the list is frozen at the moment of pausing and the button counts
// what arrived since; resuming shows everything the store kept meanwhile.

import { el, formatClock, formatCount, formatDay, plural, setAttr, setText } from './dom.js';
import { GroupedList } from './grouped-list.js';

const ROW_HEIGHT = 26;
const ACTIONS = ['added', 'removed', 'changed', 'host-up', 'host-gone'];

export class EventsView {
  constructor(section, store, emptyReason) {
    this.store = store;
    this.emptyReason = emptyReason;
    this.paused = null; // the frozen event list while paused
    this.hostSelect = section.querySelector('#event-filter-host');
    this.serviceSelect = section.querySelector('#event-filter-service');
    this.actionSelect = section.querySelector('#event-filter-action');
    this.clearButton = section.querySelector('#event-filter-clear');
    this.pauseButton = section.querySelector('#pause-button');
    this.count = section.querySelector('#events-count');
    this.empty = section.querySelector('#events-empty');
    this.viewport = section.querySelector('#events-list');
    this.optionKeys = { host: '', service: '' };
    for (const a of ACTIONS) this.actionSelect.append(el('option', { value: a, text: a }));
    this.list = new GroupedList(this.viewport, {
      rowHeight: ROW_HEIGHT,
      itemKey: (e) => e.seq,
      createRow: () => this.createRow(),
      renderRow: (row, e) => this.renderRow(row, e),
      decorateCard: (card) => setAttr(card, 'data-testid', 'event-timeline'),
    });
    for (const select of [this.hostSelect, this.serviceSelect, this.actionSelect]) {
      select.addEventListener('change', () => this.rebuild());
    }
    this.clearButton.addEventListener('click', () => {
      this.hostSelect.value = '';
      this.serviceSelect.value = '';
      this.actionSelect.value = '';
      this.rebuild();
    });
    this.pauseButton.addEventListener('click', () => this.togglePause());
  }

  createRow() {
    const c = {
      time: el('span', { class: 'cell mono ev-time num' }),
      action: el('span', { class: 'ev-action' }),
      host: el('span', { class: 'cell mono ev-host' }),
      service: el('span', { class: 'cell ev-service' }),
      id: el('span', { class: 'cell mono ev-id' }),
      address: el('span', { class: 'cell mono ev-address' }),
      revision: el('span', { class: 'cell mono ev-revision num' }),
    };
    const row = el('div', { class: 'row event-row', role: 'listitem', 'data-testid': 'event-row' },
      c.time, c.action, c.host, c.service, c.id, c.address, c.revision);
    row._cells = c;
    return row;
  }

  renderRow(row, e) {
    if (row._item === e) return;
    row._item = e;
    const c = row._cells;
    setAttr(row, 'data-action', e.action || '');
    setAttr(row, 'data-seq', String(e.seq));
    setAttr(row, 'data-host', e.host || '');
    setAttr(row, 'data-service', e.service || '');
    setText(c.time, formatClock(e.time));
    c.time.title = `${formatDay(e.time)} · ${e.time} · seq ${e.seq}`;
    setText(c.action, e.action || '');
    setAttr(c.action, 'data-action', e.action || '');
    setText(c.host, e.host || '');
    setText(c.service, e.service || '—');
    c.service.classList.toggle('muted', !e.service);
    setText(c.id, e.serviceId || '');
    c.id.title = e.serviceId || '';
    setText(c.address, e.address || '');
    setText(c.revision, e.revision ? `rev ${e.revision}` : '');
  }

  togglePause() {
    if (this.paused) this.paused = null;
    else this.paused = this.store.events.slice();
    this.rebuild();
  }

  update(topics) {
    if (topics.has('events') || topics.has('hosts') || topics.has('services') || topics.has('connection') || topics.has('status')) this.dirty = true;
    if (this.dirty && this.visible) this.rebuild();
    else if (this.paused && topics.has('events')) this.renderPauseButton();
  }

  setVisible(visible) {
    this.visible = visible;
    if (visible && this.dirty !== false) this.rebuild();
  }

  tick() {}

  renderPauseButton() {
    const paused = !!this.paused;
    let waiting = 0;
    if (paused) {
      const lastSeq = this.paused.length ? this.paused[this.paused.length - 1].seq : -Infinity;
      const events = this.store.events;
      for (let i = events.length - 1; i >= 0 && events[i].seq > lastSeq; i -= 1) waiting += 1;
    }
    setText(this.pauseButton, paused ? (waiting ? `Resume (${formatCount(waiting)} new)` : 'Resume') : 'Pause');
    setAttr(this.pauseButton, 'aria-pressed', paused ? 'true' : 'false');
    setAttr(this.pauseButton, 'data-waiting', String(waiting));
    this.pauseButton.classList.toggle('is-paused', paused);
  }

  syncOptions(select, values, kind, label) {
    const key = values.join('\n');
    if (this.optionKeys[kind] === key) return;
    this.optionKeys[kind] = key;
    const current = select.value;
    select.replaceChildren(el('option', { value: '', text: label }), ...values.map((v) => el('option', { value: v, text: v })));
    if (current && !values.includes(current)) select.append(el('option', { value: current, text: current }));
    select.value = current;
  }

  rebuild() {
    this.dirty = false;
    const store = this.store;
    const source = this.paused || store.events;
    const hostValues = new Set(store.hostnames);
    const serviceValues = new Set(store.names);
    for (const e of source) {
      if (e.host) hostValues.add(e.host);
      if (e.service) serviceValues.add(e.service);
    }
    this.syncOptions(this.hostSelect, [...hostValues].sort(), 'host', 'All hosts');
    this.syncOptions(this.serviceSelect, [...serviceValues].sort(), 'service', 'All services');
    const host = this.hostSelect.value;
    const service = this.serviceSelect.value;
    const action = this.actionSelect.value;
    const filtered = !!(host || service || action);
    const items = [];
    for (let i = source.length - 1; i >= 0; i -= 1) {
      const e = source[i];
      if (host && e.host !== host) continue;
      if (service && e.service !== service) continue;
      if (action && e.action !== action) continue;
      items.push(e);
    }
    this.clearButton.hidden = !filtered;
    for (const [select, value] of [[this.hostSelect, host], [this.serviceSelect, service], [this.actionSelect, action]]) {
      select.classList.toggle('is-active', !!value);
    }
    setText(this.count, filtered ? `${formatCount(items.length)} of ${plural(source.length, 'event')}` : plural(source.length, 'event'));
    this.renderPauseButton();
    let reason = this.emptyReason();
    if (!reason && !source.length) reason = 'No events yet — they appear here as containers start and stop and hosts come and go';
    if (!reason && !items.length) reason = `No events match the filters (${plural(source.length, 'event')} hidden)`;
    this.empty.hidden = !reason;
    setText(this.empty, reason || '');
    this.viewport.hidden = !!reason && !items.length;
    this.list.setGroups(items.length ? [{ key: 'events', items, collapsed: false }] : []);
  }
}
