// Hosts tab: one card per host (up or gone) with its services, virtualised at both levels.

import { debounce, el, formatAge, formatAgo, plural, setAttr, setText } from './dom.js';
import { GroupedList } from './grouped-list.js';
import { SERVICE_ROW_HEIGHT, columnHeader, createServiceRow, renderServiceRow, serviceMatches } from './service-rows.js';

const HEADER_HEIGHT = 44;

export class HostsView {
  constructor(section, store, emptyReason) {
    this.store = store;
    this.emptyReason = emptyReason;
    this.collapsed = new Set();
    this.needle = '';
    this.filterInput = section.querySelector('#hosts-filter');
    this.count = section.querySelector('#hosts-count');
    this.empty = section.querySelector('#hosts-empty');
    this.viewport = section.querySelector('#hosts-list');
    this.viewport.append(columnHeader('Service'));
    this.list = new GroupedList(this.viewport, {
      headerHeight: HEADER_HEIGHT,
      rowHeight: SERVICE_ROW_HEIGHT,
      gap: 10,
      itemKey: (s) => s.id,
      createRow: () => createServiceRow('service-row'),
      renderRow: (row, s) => renderServiceRow(row, s, 'name', this.now, store.routesOf(s.name)),
      decorateCard: (card, g) => {
        setAttr(card, 'data-testid', 'host-card');
        setAttr(card, 'data-host', g.key);
        card.classList.toggle('is-gone', g.host ? g.host.up === false : false);
        card.classList.toggle('is-collapsed', g.collapsed);
      },
      renderHeader: (header, g) => this.renderHeader(header, g),
      emptyText: (g) => {
        if (this.needle) return 'No services on this host match the filter';
        if (g.host && g.host.up === false) return 'Agent gone: its services expired with its lease';
        return 'No services on this host — start a container with docker run -P';
      },
    });
    this.filterInput.addEventListener('input', debounce(() => {
      this.needle = this.filterInput.value.trim().toLowerCase();
      this.rebuild();
      this.list.scrollToTop();
    }, 120));
  }

  renderHeader(header, g) {
    if (!header._parts) {
      const p = {
        toggle: el('button', { class: 'collapse-toggle', type: 'button', 'aria-label': 'Collapse', 'data-testid': 'host-toggle' }),
        name: el('span', { class: 'host-name mono' }),
        state: el('span', { class: 'pill' }),
        address: el('span', { class: 'host-address mono' }),
        meta: el('span', { class: 'host-meta' }),
        count: el('span', { class: 'host-count num' }),
      };
      header.classList.add('host-header');
      header.append(p.toggle, p.name, p.state, p.address, p.meta, p.count);
      header.addEventListener('click', () => this.toggle(header._key));
      header._parts = p;
    }
    const p = header._parts;
    header._key = g.key;
    const h = g.host;
    const gone = h && h.up === false;
    setText(p.name, g.key);
    setText(p.state, !h ? 'no host record' : gone ? `gone ${formatAgo(h.goneAt, this.now)}` : 'up');
    setAttr(p.state, 'data-state', !h ? 'unknown' : gone ? 'gone' : 'up');
    setText(p.address, h ? h.address || '' : '');
    const meta = [];
    if (h && h.agentVersion) meta.push(`agent ${h.agentVersion}`);
    if (h && h.dockerVersion) meta.push(`docker ${h.dockerVersion}`);
    if (h && h.startedAt && !gone) meta.push(`started ${formatAgo(h.startedAt, this.now)}`);
    setText(p.meta, meta.join(' · '));
    const total = g.total;
    setText(p.count, g.items.length === total ? plural(total, 'service') : `${g.items.length} of ${plural(total, 'service')}`);
    setText(p.toggle, g.collapsed ? '▸' : '▾');
    setAttr(p.toggle, 'aria-expanded', g.collapsed ? 'false' : 'true');
  }

  toggle(key) {
    if (this.collapsed.has(key)) this.collapsed.delete(key);
    else this.collapsed.add(key);
    this.rebuild();
  }

  update(topics) {
    if (topics.has('hosts') || topics.has('services') || topics.has('status') || topics.has('connection')) this.dirty = true;
    if (this.dirty && this.visible) this.rebuild();
    else if (topics.has('balancers') && this.visible) this.list.refresh();
  }

  setVisible(visible) {
    this.visible = visible;
    if (visible && this.dirty !== false) this.rebuild();
  }

  tick() {
    this.now = Date.now();
    this.list.refresh();
  }

  rebuild() {
    this.dirty = false;
    this.now = Date.now();
    const { store, needle } = this;
    const groups = [];
    let shown = 0;
    for (const hostname of store.hostnames) {
      const all = store.byHost.get(hostname) || [];
      const host = store.hosts.get(hostname);
      let items = all;
      if (needle && !hostname.toLowerCase().includes(needle) && !(host && (host.address || '').includes(needle))) {
        items = all.filter((s) => serviceMatches(s, needle));
        if (!items.length) continue;
      }
      shown += items.length;
      groups.push({ key: hostname, host, items, total: all.length, collapsed: this.collapsed.has(hostname) });
    }
    const counts = store.hostCounts();
    if (!store.hasSnapshot) setText(this.count, '');
    else setText(this.count, needle
      ? `${plural(shown, 'service')} on ${plural(groups.length, 'host')} match`
      : `${plural(counts.up, 'host')} up${counts.gone ? `, ${counts.gone} gone` : ''}`);
    let reason = this.emptyReason();
    if (!reason && !groups.length) reason = needle ? `No host or service matches “${this.filterInput.value.trim()}”` : null;
    if (!reason && !store.hostnames.length) reason = 'No services registered yet — start a container with docker run -P';
    this.empty.hidden = !reason;
    setText(this.empty, reason || '');
    this.viewport.hidden = !!reason && !groups.length;
    this.list.setGroups(groups);
  }
}
