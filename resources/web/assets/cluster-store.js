// The cluster picture as the feed describes it, indexed for the views: services by id, by host
// and by name (each kept sorted, updated in place by deltas), hosts, the load balancers and
// which services they route, a bounded event log and the agent's etcd status. Changes are collected as topics and announced once per frame.

import { compareStrings, lowerBound } from './dom.js';

const EVENT_LIMIT = 5000;

const byNameThenId = (a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id);
const byHostThenId = (a, b) => compareStrings(a.host, b.host) || compareStrings(a.id, b.id);

function insertSorted(array, item, compare) {
  array.splice(lowerBound(array, item, compare), 0, item);
}

function removeSorted(array, item, compare) {
  const i = lowerBound(array, item, compare);
  if (array[i] && array[i].id === item.id) array.splice(i, 1);
  else {
    const j = array.findIndex((s) => s.id === item.id); // fallback if the sort keys changed
    if (j >= 0) array.splice(j, 1);
  }
}

export class ClusterStore {
  constructor() {
    this.hosts = new Map(); // hostname -> Host
    this.services = new Map(); // id -> Service
    this.byHost = new Map(); // hostname -> Service[] sorted by name, id
    this.byName = new Map(); // name -> Service[] sorted by host, id
    this.names = []; // sorted service names
    this.hostnames = []; // sorted union of host records and hosts that have services
    this.balancers = new Map(); // name -> Balancer (running ones only)
    this.routes = new Map(); // service name -> [{ balancer, backend, servers, ready }] by balancer
    this.events = []; // oldest first
    this.revision = 0;
    this.hasSnapshot = false;
    this.etcd = { status: 'connecting', error: '' };
    this.agent = { hostname: '', version: '' };
    this.listeners = new Set();
    this.pending = new Set();
    this.frame = 0;
  }

  subscribe(fn) {
    this.listeners.add(fn);
  }

  touch(topic) {
    this.pending.add(topic);
    if (!this.frame) {
      // rAF pauses in a background tab; a timeout still lets the picture catch up there.
      this.frame = requestAnimationFrame(() => this.flush());
      this.fallback = setTimeout(() => this.flush(), 250);
    }
  }

  flush() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.fallback);
    this.frame = 0;
    const topics = this.pending;
    this.pending = new Set();
    if (topics.size) for (const fn of this.listeners) fn(topics);
  }

  apply(msg) {
    switch (msg.type) {
      case 'hello':
        this.agent = { hostname: msg.hostname || '', version: msg.agent || '' };
        this.touch('agent');
        break;
      case 'snapshot':
        this.loadSnapshot(msg);
        break;
      case 'host':
        if (msg.host && msg.host.hostname) {
          this.hosts.set(msg.host.hostname, msg.host);
          this.noteHostname(msg.host.hostname);
          this.touch('hosts');
        }
        break;
      case 'service':
        this.applyService(msg.op, msg.service);
        break;
      case 'balancer':
        if (msg.balancer && typeof msg.balancer.name === 'string' && msg.balancer.name) {
          if (msg.balancer.up === false) this.balancers.delete(msg.balancer.name);
          else this.balancers.set(msg.balancer.name, msg.balancer);
          this.indexRoutes();
        }
        break;
      case 'event':
        if (msg.event) this.appendEvent(msg.event);
        break;
      case 'status':
        this.etcd = { status: msg.status || 'disconnected', error: msg.error || '' };
        this.touch('status');
        break;
      default:
        break; // pong and future types
    }
    if (typeof msg.revision === 'number') this.revision = msg.revision;
  }

  loadSnapshot(msg) {
    this.hosts = new Map((msg.hosts || []).map((h) => [h.hostname, h]));
    this.services = new Map();
    this.byHost = new Map();
    this.byName = new Map();
    for (const s of msg.services || []) {
      this.services.set(s.id, s);
      let list = this.byHost.get(s.host);
      if (!list) this.byHost.set(s.host, (list = []));
      list.push(s);
      let named = this.byName.get(s.name);
      if (!named) this.byName.set(s.name, (named = []));
      named.push(s);
    }
    for (const list of this.byHost.values()) list.sort(byNameThenId);
    for (const list of this.byName.values()) list.sort(byHostThenId);
    this.names = [...this.byName.keys()].sort(compareStrings);
    this.hostnames = [...new Set([...this.hosts.keys(), ...this.byHost.keys()])].sort(compareStrings);
    this.events = (msg.events || []).slice(-EVENT_LIMIT);
    // An agent older than the balancer records sends no list: then there are none.
    this.balancers = new Map((Array.isArray(msg.balancers) ? msg.balancers : [])
      .filter((b) => b && typeof b.name === 'string' && b.name && b.up !== false).map((b) => [b.name, b]));
    this.indexRoutes();
    this.hasSnapshot = true;
    for (const t of ['snapshot', 'hosts', 'services', 'events']) this.touch(t);
  }

  // Balancers are few and change rarely: the service -> routes index is simply rebuilt.
  indexRoutes() {
    this.routes = new Map();
    const names = [...this.balancers.keys()].sort(compareStrings);
    for (const name of names) {
      const routes = this.balancers.get(name).routes;
      for (const r of Array.isArray(routes) ? routes : []) {
        if (!r || typeof r.service !== 'string') continue;
        let list = this.routes.get(r.service);
        if (!list) this.routes.set(r.service, (list = []));
        list.push({ balancer: name, backend: String(r.backend || ''), servers: Number(r.servers) || 0, ready: Number(r.ready) || 0 });
      }
    }
    this.touch('balancers');
  }

  routesOf(serviceName) {
    return this.routes.get(serviceName) || [];
  }

  balancerErrors() {
    let n = 0;
    for (const b of this.balancers.values()) if (b.lastError) n += 1;
    return n;
  }

  noteHostname(hostname) {
    const i = lowerBound(this.hostnames, hostname, compareStrings);
    if (this.hostnames[i] !== hostname) this.hostnames.splice(i, 0, hostname);
  }

  applyService(op, service) {
    if (!service || !service.id) return;
    const old = this.services.get(service.id);
    if (old) this.unindex(old);
    if (op === 'removed') {
      this.services.delete(service.id);
    } else {
      this.services.set(service.id, service);
      this.index(service);
    }
    this.touch('services');
  }

  index(s) {
    let list = this.byHost.get(s.host);
    if (!list) {
      this.byHost.set(s.host, (list = []));
      this.noteHostname(s.host);
    }
    insertSorted(list, s, byNameThenId);
    let named = this.byName.get(s.name);
    if (!named) {
      this.byName.set(s.name, (named = []));
      insertSorted(this.names, s.name, compareStrings);
    }
    insertSorted(named, s, byHostThenId);
  }

  unindex(s) {
    const list = this.byHost.get(s.host);
    if (list) removeSorted(list, s, byNameThenId);
    const named = this.byName.get(s.name);
    if (named) {
      removeSorted(named, s, byHostThenId);
      if (!named.length) {
        this.byName.delete(s.name);
        const i = lowerBound(this.names, s.name, compareStrings);
        if (this.names[i] === s.name) this.names.splice(i, 1);
      }
    }
  }

  appendEvent(event) {
    const last = this.events[this.events.length - 1];
    if (last && typeof event.seq === 'number' && event.seq <= last.seq) return; // already have it
    this.events.push(event);
    if (this.events.length > EVENT_LIMIT + 500) this.events.splice(0, this.events.length - EVENT_LIMIT);
    this.touch('events');
  }

  hostCounts() {
    let up = 0;
    let gone = 0;
    for (const h of this.hosts.values()) {
      if (h.up === false) gone += 1;
      else up += 1;
    }
    return { up, gone };
  }

  lastEvent() {
    return this.events[this.events.length - 1] || null;
  }
}
