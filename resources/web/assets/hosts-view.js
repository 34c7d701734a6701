// Hosts tab: one card per host (up or gone) with its services, virtualised at both levels.

import { el, formatAgo, plural, setAttr, setText } from './dom.js';
import { GroupedView } from './grouped-view.js';
import { serviceMatches } from './service-rows.js';

export class HostsView extends GroupedView {
  constructor(section, store, emptyReason) {
    super(section, store, emptyReason,
      { filter: '#hosts-filter', count: '#hosts-count', empty: '#hosts-empty', list: '#hosts-list' },
      {
        columnTitle: 'Service',
        headerHeight: 44,
        gap: 10,
        rowClass: 'service-row',
        firstColumn: 'name',
        headerClass: 'host-header',
        toggleTestId: 'host-toggle',
        topics: ['hosts', 'services', 'status', 'connection'],
        headerParts: () => ({
          name: el('span', { class: 'host-name mono' }),
          state: el('span', { class: 'pill' }),
          address: el('span', { class: 'host-address mono' }),
          meta: el('span', { class: 'host-meta' }),
          count: el('span', { class: 'host-count num' }),
        }),
        decorateCard: (card, g) => {
          setAttr(card, 'data-testid', 'host-card');
          setAttr(card, 'data-host', g.key);
          card.classList.toggle('is-gone', g.host ? g.host.up === false : false);
        },
      });
  }

  emptyText(g) {
    if (this.needle) return 'No services on this host match the filter';
    if (g.host && g.host.up === false) return 'Agent gone: its services expired with its lease';
    return 'No services on this host — start a container with docker run -P';
  }

  fillHeader(p, g) {
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
  }

  groups() {
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
    return { groups, shown };
  }

  countText(groups, shown) {
    if (this.needle) return `${plural(shown, 'service')} on ${plural(groups.length, 'host')} match`;
    const counts = this.store.hostCounts();
    return `${plural(counts.up, 'host')} up${counts.gone ? `, ${counts.gone} gone` : ''}`;
  }

  noGroupsReason(groups) {
    if (!groups.length && this.needle) return `No host or service matches “${this.filterInput.value.trim()}”`;
    if (!this.store.hostnames.length) return 'No services registered yet — start a container with docker run -P';
    return null;
  }
}
