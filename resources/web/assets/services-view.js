// Services tab: every service name with its instances across hosts, virtualised like Hosts.

import { debounce, el, plural, setAttr, setText } from './dom.js';
import { GroupedList } from './grouped-list.js';
import { SERVICE_ROW_HEIGHT, columnHeader, createServiceRow, renderServiceRow, routesText, serviceMatches } from './service-rows.js';

const HEADER_HEIGHT = 34;

export class ServicesView {
  constructor(section, store, emptyReason) {
    this.store = store;
    this.emptyReason = emptyReason;
    this.collapsed = new Set();
    this.needle = '';
    this.filterInput = section.querySelector('#services-filter');
    this.count = section.querySelector('#services-count');
    this.empty = section.querySelector('#services-empty');
    this.viewport = section.querySelector('#services-list');
    this.viewport.append(columnHeader('Host'));
    this.list = new GroupedList(this.viewport, {
      headerHeight: HEADER_HEIGHT,
      rowHeight: SERVICE_ROW_HEIGHT,
      gap: 8,
      itemKey: (s) => s.id,
      createRow: () => createServiceRow('instance-row'),
      renderRow: (row, s) => renderServiceRow(row, s, 'host', this.now, store.routesOf(s.name)),
      decorateCard: (card, g) => {
        setAttr(card, 'data-testid', 'service-group');
        setAttr(card, 'data-service-name', g.key);
        card.classList.toggle('is-collapsed', g.collapsed);
      },
      renderHeader: (header, g) => this.renderHeader(header, g),
      emptyText: () => 'No instances',
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
        toggle: el('button', { class: 'collapse-toggle', type: 'button', 'aria-label': 'Collapse' }),
        name: el('span', { class: 'group-name mono' }),
        count: el('span', { class: 'group-count' }),
        health: el('span', { class: 'group-health', 'data-testid': 'group-health' }),
        routed: el('span', { class: 'group-routed', 'data-testid': 'group-routed' }),
        ports: el('span', { class: 'group-ports mono' }),
      };
      header.classList.add('group-header');
      header.append(p.toggle, p.name, p.count, p.health, p.routed, p.ports);
      header.addEventListener('click', () => this.toggle(header._key));
      header._parts = p;
    }
    const p = header._parts;
    header._key = g.key;
    setText(p.name, g.key);
    const hosts = new Set(g.all.map((s) => s.host)).size;
    setText(p.count, `${plural(g.all.length, 'instance')} on ${plural(hosts, 'host')}`);
    const unhealthy = g.all.filter((s) => s.health === 'unhealthy').length;
    const starting = g.all.filter((s) => s.health === 'starting').length;
    setText(p.health, [unhealthy && `${unhealthy} unhealthy`, starting && `${starting} starting`].filter(Boolean).join(', '));
    setAttr(p.health, 'data-health', unhealthy ? 'unhealthy' : starting ? 'starting' : '');
    const routes = this.store.routesOf(g.key);
    setText(p.routed, routes.length
      ? `routed by ${routes.map((r) => `${routesText([r])} (${r.ready} of ${r.servers} ready)`).join(', ')}`
      : 'not routed');
    p.routed.classList.toggle('is-routed', routes.length > 0);
    const images = [...new Set(g.all.map((s) => s.image).filter(Boolean))];
    setText(p.ports, images.length === 1 ? images[0] : images.length ? `${images.length} images` : '');
    setText(p.toggle, g.collapsed ? '▸' : '▾');
    setAttr(p.toggle, 'aria-expanded', g.collapsed ? 'false' : 'true');
  }

  toggle(key) {
    if (this.collapsed.has(key)) this.collapsed.delete(key);
    else this.collapsed.add(key);
    this.rebuild();
  }

  update(topics) {
    if (topics.has('services') || topics.has('status') || topics.has('connection')) this.dirty = true;
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
    for (const name of store.names) {
      const all = store.byName.get(name);
      let items = all;
      if (needle && !name.toLowerCase().includes(needle)) {
        items = all.filter((s) => serviceMatches(s, needle));
        if (!items.length) continue;
      }
      shown += items.length;
      groups.push({ key: name, items, all, collapsed: this.collapsed.has(name) });
    }
    if (!store.hasSnapshot) setText(this.count, '');
    else setText(this.count, needle
      ? `${plural(shown, 'instance')} of ${plural(groups.length, 'service')} match`
      : `${plural(store.names.length, 'service')}, ${plural(store.services.size, 'instance')}`);
    let reason = this.emptyReason();
    if (!reason && !groups.length) {
      reason = needle ? `No service matches “${this.filterInput.value.trim()}”`
        : 'No services registered yet — start a container with docker run -P';
    }
    this.empty.hidden = !reason;
    setText(this.empty, reason || '');
    this.viewport.hidden = !!reason && !groups.length;
    this.list.setGroups(groups);
  }
}
