// A virtualised list of groups (a host and its services, a service name and its instances, or
// one headerless group of events). Only the groups and rows that intersect the viewport (plus
// a margin) exist in the DOM; rows are keyed and reused, so a delta or a scroll touches a few
// dozen elements whatever the size of the cluster. Heights are fixed per kind, which keeps the
// layout a running sum and the visible range a binary search.

import { el } from './dom.js';

const OVERSCAN_PX = 400;
const POOL_LIMIT = 300;

export class GroupedList {
  // opts: headerHeight, rowHeight, gap, decorateCard(cardEl, group), renderHeader(headerEl, group),
  // createRow(), renderRow(rowEl, item, group), itemKey(item), emptyText(group)
  constructor(viewport, opts) {
    this.viewport = viewport;
    this.o = { headerHeight: 0, gap: 0, emptyText: () => '', decorateCard: () => {}, ...opts };
    this.sizer = el('div', { class: 'vl-sizer' });
    viewport.append(this.sizer);
    this.groups = [];
    this.tops = [];
    this.heights = [];
    this.cards = new Map();
    this.pool = [];
    this.raf = 0;
    viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(viewport);
  }

  // groups: [{ key, items, collapsed, ... }]; items arrays may be shared with the store.
  setGroups(groups) {
    this.groups = groups;
    const n = groups.length;
    const { headerHeight, rowHeight, gap } = this.o;
    this.tops = new Array(n);
    this.heights = new Array(n);
    let y = 0;
    for (let i = 0; i < n; i += 1) {
      const g = groups[i];
      const bodyRows = g.collapsed ? 0 : Math.max(1, g.items.length);
      const h = headerHeight + bodyRows * rowHeight;
      this.tops[i] = y;
      this.heights[i] = h;
      y += h + gap;
    }
    this.total = Math.max(0, y - gap);
    this.sizer.style.height = `${this.total}px`;
    this.render();
  }

  schedule() {
    if (!this.raf) {
      this.raf = requestAnimationFrame(() => {
        this.raf = 0;
        this.render();
      });
    }
  }

  // Re-renders what is visible (ages tick, a filter changed the rows' look).
  refresh() {
    this.render();
  }

  scrollToTop() {
    this.viewport.scrollTop = 0;
  }

  // Scrolls so that the group with `key` starts at the top of the viewport.
  scrollToGroup(key) {
    const i = this.groups.findIndex((g) => g.key === key);
    if (i >= 0) this.viewport.scrollTop = this.tops[i] + this.sizer.offsetTop;
    this.render();
  }

  render() {
    const height = this.viewport.clientHeight;
    if (!height) {
      // Hidden tab: give everything back, so hidden views hold no rows and cost nothing.
      for (const key of [...this.cards.keys()]) this.releaseCard(key);
      return;
    }
    const base = this.sizer.offsetTop;
    const from = this.viewport.scrollTop - base - OVERSCAN_PX;
    const to = this.viewport.scrollTop - base + height + OVERSCAN_PX;
    const { headerHeight, rowHeight } = this.o;

    // First group whose bottom is below `from`.
    let lo = 0;
    let hi = this.groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tops[mid] + this.heights[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set();
    for (let i = lo; i < this.groups.length && this.tops[i] < to; i += 1) {
      const group = this.groups[i];
      seen.add(group.key);
      const card = this.cardFor(group);
      if (card.top !== this.tops[i]) {
        card.top = this.tops[i];
        card.el.style.transform = `translateY(${card.top}px)`;
      }
      if (card.height !== this.heights[i]) {
        card.height = this.heights[i];
        card.el.style.height = `${card.height}px`;
      }
      this.o.decorateCard(card.el, group);
      if (card.header) this.o.renderHeader(card.header, group);
      this.renderBody(card, group, from - this.tops[i] - headerHeight, to - this.tops[i] - headerHeight, rowHeight);
    }
    for (const key of [...this.cards.keys()]) if (!seen.has(key)) this.releaseCard(key);
  }

  cardFor(group) {
    let card = this.cards.get(group.key);
    if (!card) {
      const header = this.o.headerHeight ? el('div', { class: 'vl-header' }) : null;
      const body = el('div', { class: 'vl-body', role: 'list' });
      const cardEl = el('div', { class: 'vl-card' }, header, body);
      if (header) header.style.height = `${this.o.headerHeight}px`;
      card = { el: cardEl, header, body, rows: new Map(), empty: null, top: -1, height: -1 };
      this.cards.set(group.key, card);
      this.sizer.append(cardEl);
    }
    return card;
  }

  renderBody(card, group, from, to, rowHeight) {
    const items = group.collapsed ? [] : group.items;
    const wantEmpty = !group.collapsed && items.length === 0;
    if (wantEmpty && !card.empty) {
      card.empty = el('div', { class: 'vl-empty-row' });
      card.body.append(card.empty);
    }
    if (card.empty) {
      if (wantEmpty) card.empty.textContent = this.o.emptyText(group);
      else {
        card.empty.remove();
        card.empty = null;
      }
    }
    const first = Math.max(0, Math.floor(from / rowHeight));
    const last = Math.min(items.length, Math.ceil(to / rowHeight));
    const next = new Map();
    for (let i = first; i < last; i += 1) {
      const item = items[i];
      const key = this.o.itemKey(item);
      let row = card.rows.get(key);
      if (row) card.rows.delete(key);
      else {
        row = this.pool.pop() || this.o.createRow();
        row._y = -1;
        card.body.append(row);
      }
      const y = i * rowHeight;
      if (row._y !== y) {
        row._y = y;
        row.style.transform = `translateY(${y}px)`;
      }
      this.o.renderRow(row, item, group);
      next.set(key, row);
    }
    for (const row of card.rows.values()) this.recycle(row);
    card.rows = next;
  }

  recycle(row) {
    row.remove();
    if (this.pool.length < POOL_LIMIT) this.pool.push(row);
  }

  releaseCard(key) {
    const card = this.cards.get(key);
    for (const row of card.rows.values()) this.recycle(row);
    card.el.remove();
    this.cards.delete(key);
  }
}
