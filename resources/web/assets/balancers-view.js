// Balancers tab: one card per running portolan-lb (its record under /portolan/balancers/):
// driver and version, where it runs, its last apply and how, its last error (prominent), and
// the services it routes with their backends and server counts. Balancers are few, so cards are
// plain DOM keyed by name and rebuilt only when their record changes; ages tick in place.

import { el, formatAgo, plural, setAttr, setText } from './dom.js';

const METHODS = {
  runtime: 'through the Runtime API (no reload)',
  reload: 'by a reload',
};

function applyText(b, now) {
  if (!b.lastApplyAt) return 'not applied yet';
  const how = Object.hasOwn(METHODS, b.lastApplyMethod) ? METHODS[b.lastApplyMethod]
    : b.lastApplyMethod ? `by ${b.lastApplyMethod}` : '';
  return `last applied ${formatAgo(b.lastApplyAt, now)}${how ? ` ${how}` : ''}`;
}

function routeRow(r) {
  const servers = Number(r.servers) || 0;
  const ready = Number(r.ready) || 0;
  const counts = el('span', { class: 'route-count num', text: `${plural(servers, 'server')}, ${ready} ready` });
  if (ready < servers) counts.classList.add('is-short');
  if (servers > 0 && ready === 0) counts.classList.add('is-none');
  counts.title = `${servers} registered, ${ready} taking traffic (healthy or without a health check)`;
  return el('div', { class: 'route-row', role: 'listitem', 'data-testid': 'balancer-route', 'data-service': String(r.service || '') },
    el('span', { class: 'route-service', text: String(r.service || '') }),
    el('span', { class: 'route-arrow', 'aria-hidden': 'true', text: '→' }),
    el('span', { class: 'route-backend mono', text: String(r.backend || '') }),
    counts);
}

export class BalancersView {
  constructor(section, store, emptyReason) {
    this.store = store;
    this.emptyReason = emptyReason;
    this.count = section.querySelector('#balancers-count');
    this.empty = section.querySelector('#balancers-empty');
    this.list = section.querySelector('#balancers-list');
    this.cards = new Map(); // name -> { el, record, parts }
  }

  update(topics) {
    if (topics.has('balancers') || topics.has('snapshot') || topics.has('status') || topics.has('connection')) this.dirty = true;
    if (this.dirty && this.visible) this.rebuild();
  }

  setVisible(visible) {
    this.visible = visible;
    if (visible && this.dirty !== false) this.rebuild();
  }

  tick() {
    const now = Date.now();
    for (const card of this.cards.values()) this.renderTimes(card, now);
  }

  rebuild() {
    this.dirty = false;
    const { store } = this;
    const names = [...store.balancers.keys()].sort();
    for (const name of [...this.cards.keys()]) {
      if (!store.balancers.has(name)) {
        this.cards.get(name).el.remove();
        this.cards.delete(name);
      }
    }
    const now = Date.now();
    let previous = null;
    for (const name of names) {
      const record = store.balancers.get(name);
      let card = this.cards.get(name);
      if (!card || card.record !== record) {
        const fresh = this.buildCard(record);
        if (card) card.el.replaceWith(fresh.el);
        card = fresh;
        this.cards.set(name, card);
      }
      this.renderTimes(card, now);
      // Keep the DOM in name order without moving cards that are already in place.
      const want = previous ? previous.nextSibling : this.list.firstChild;
      if (want !== card.el) this.list.insertBefore(card.el, want);
      previous = card.el;
    }
    const errors = store.balancerErrors();
    setText(this.count, store.hasSnapshot
      ? `${plural(names.length, 'balancer')}${errors ? `, ${errors} with an error` : ''}` : '');
    let reason = this.emptyReason();
    if (!reason && !names.length) {
      reason = 'No load balancer is running: no portolan-lb keeps a record under /portolan/balancers/';
    }
    this.empty.hidden = !reason;
    setText(this.empty, reason || '');
    this.list.hidden = !names.length;
  }

  buildCard(b) {
    const parts = {
      applied: el('span', { class: 'balancer-applied', 'data-testid': 'balancer-applied' }),
      started: el('span', { class: 'balancer-started' }),
      errorAge: el('span', { class: 'balancer-error-age' }),
    };
    const driver = [b.driver, b.driverVersion].filter(Boolean).join(' ');
    const head = el('div', { class: 'balancer-head' },
      el('span', { class: 'balancer-name mono', 'data-testid': 'balancer-name', text: String(b.name) }),
      el('span', { class: 'pill balancer-driver', 'data-testid': 'balancer-driver', text: driver || 'unknown driver' }),
      el('span', { class: 'balancer-host', 'data-testid': 'balancer-host', text: b.host ? `on ${b.host}` : 'host unknown' }),
      el('span', { class: 'balancer-version muted', text: b.version ? `portolan-lb ${b.version}` : '' }),
      parts.started);
    const routes = Array.isArray(b.routes) ? b.routes : [];
    const body = [head, el('div', { class: 'balancer-apply' }, parts.applied)];
    if (b.lastError) {
      body.push(el('div', { class: 'balancer-error', role: 'alert', 'data-testid': 'balancer-error' },
        el('span', { class: 'balancer-error-label', text: 'Last error' }),
        el('span', { class: 'balancer-error-text', text: String(b.lastError) }),
        parts.errorAge));
    }
    body.push(routes.length
      ? el('div', { class: 'route-list', role: 'list' }, ...routes.map(routeRow))
      : el('div', { class: 'route-empty', text: 'Routes no service (none of the registered services is selected for it)' }));
    const card = el('article', { class: 'balancer-card', 'data-testid': 'balancer-card', 'data-balancer': String(b.name) }, ...body);
    card.classList.toggle('has-error', !!b.lastError);
    setAttr(card, 'data-routes', String(routes.length));
    return { el: card, record: b, parts };
  }

  renderTimes(card, now) {
    const b = card.record;
    setText(card.parts.applied, applyText(b, now));
    card.parts.applied.title = b.lastApplyAt || '';
    setText(card.parts.started, b.startedAt ? `started ${formatAgo(b.startedAt, now)}` : '');
    card.parts.started.title = b.startedAt || '';
    setText(card.parts.errorAge, b.lastErrorAt ? formatAgo(b.lastErrorAt, now) : '');
    card.parts.errorAge.title = b.lastErrorAt || '';
  }
}
