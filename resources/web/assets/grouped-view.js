// What the Hosts and Services tabs share: a filter box, a count, an empty-state line and a
// GroupedList of collapsible cards of service rows. A subclass says what its groups are
// (groups()), how a card's header reads (fillHeader()) and which feed topics change it.

import { debounce, el, setAttr, setText } from './dom.js';
import { GroupedList } from './grouped-list.js';
import { SERVICE_ROW_HEIGHT, columnHeader, createServiceRow, renderServiceRow } from './service-rows.js';

export class GroupedView {
  // ids: the section's filter, count, empty and list elements; opts: the list's layout and
  // what differs per tab (row class and first column, header parts, card attributes, topics).
  constructor(section, store, emptyReason, ids, opts) {
    this.store = store;
    this.emptyReason = emptyReason;
    this.opts = opts;
    this.collapsed = new Set();
    this.needle = '';
    this.filterInput = section.querySelector(ids.filter);
    this.count = section.querySelector(ids.count);
    this.empty = section.querySelector(ids.empty);
    this.viewport = section.querySelector(ids.list);
    this.viewport.append(columnHeader(opts.columnTitle));
    this.list = new GroupedList(this.viewport, {
      headerHeight: opts.headerHeight,
      rowHeight: SERVICE_ROW_HEIGHT,
      gap: opts.gap,
      itemKey: (s) => s.id,
      createRow: () => createServiceRow(opts.rowClass),
      renderRow: (row, s) => renderServiceRow(row, s, opts.firstColumn, this.now, store.routesOf(s.name)),
      decorateCard: (card, g) => {
        opts.decorateCard(card, g);
        card.classList.toggle('is-collapsed', g.collapsed);
      },
      renderHeader: (header, g) => this.renderHeader(header, g),
      emptyText: (g) => this.emptyText(g),
    });
    this.filterInput.addEventListener('input', debounce(() => {
      this.needle = this.filterInput.value.trim().toLowerCase();
      this.rebuild();
      this.list.scrollToTop();
    }, 120));
  }

  renderHeader(header, g) {
    if (!header._parts) {
      const toggle = el('button', { class: 'collapse-toggle', type: 'button', 'aria-label': 'Collapse' });
      if (this.opts.toggleTestId) setAttr(toggle, 'data-testid', this.opts.toggleTestId);
      const p = { toggle, ...this.opts.headerParts() };
      header.classList.add(this.opts.headerClass);
      header.append(...Object.values(p));
      header.addEventListener('click', () => this.toggle(header._key));
      header._parts = p;
    }
    const p = header._parts;
    header._key = g.key;
    this.fillHeader(p, g);
    setText(p.toggle, g.collapsed ? '▸' : '▾');
    setAttr(p.toggle, 'aria-expanded', g.collapsed ? 'false' : 'true');
  }

  toggle(key) {
    if (this.collapsed.has(key)) this.collapsed.delete(key);
    else this.collapsed.add(key);
    this.rebuild();
  }

  update(topics) {
    if (this.opts.topics.some((t) => topics.has(t))) this.dirty = true;
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
    const { groups, shown } = this.groups();
    if (!this.store.hasSnapshot) setText(this.count, '');
    else setText(this.count, this.countText(groups, shown));
    const reason = this.emptyReason() || this.noGroupsReason(groups);
    this.empty.hidden = !reason;
    setText(this.empty, reason || '');
    this.viewport.hidden = !!reason && !groups.length;
    this.list.setGroups(groups);
  }
}
