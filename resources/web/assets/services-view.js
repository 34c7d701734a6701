// Services tab: every service name with its instances across hosts, virtualised like Hosts.

import { el, plural, setAttr, setText } from './dom.js';
import { GroupedView } from './grouped-view.js';
import { routesText, serviceMatches } from './service-rows.js';

export class ServicesView extends GroupedView {
  constructor(section, store, emptyReason) {
    super(section, store, emptyReason,
      { filter: '#services-filter', count: '#services-count', empty: '#services-empty', list: '#services-list' },
      {
        columnTitle: 'Host',
        headerHeight: 34,
        gap: 8,
        rowClass: 'instance-row',
        firstColumn: 'host',
        headerClass: 'group-header',
        topics: ['services', 'status', 'connection'],
        headerParts: () => ({
          name: el('span', { class: 'group-name mono' }),
          count: el('span', { class: 'group-count' }),
          health: el('span', { class: 'group-health', 'data-testid': 'group-health' }),
          routed: el('span', { class: 'group-routed', 'data-testid': 'group-routed' }),
          ports: el('span', { class: 'group-ports mono' }),
        }),
        decorateCard: (card, g) => {
          setAttr(card, 'data-testid', 'service-group');
          setAttr(card, 'data-service-name', g.key);
        },
      });
  }

  emptyText() {
    return 'No instances';
  }

  fillHeader(p, g) {
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
  }

  groups() {
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
    return { groups, shown };
  }

  countText(groups, shown) {
    const { store } = this;
    return this.needle
      ? `${plural(shown, 'instance')} of ${plural(groups.length, 'service')} match`
      : `${plural(store.names.length, 'service')}, ${plural(store.services.size, 'instance')}`;
  }

  noGroupsReason(groups) {
    if (groups.length) return null;
    return this.needle ? `No service matches “${this.filterInput.value.trim()}”`
      : 'No services registered yet — start a container with docker run -P';
  }
}
