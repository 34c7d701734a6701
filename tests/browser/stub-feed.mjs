// DEV/TEST STUB of the agent's feed (docs/feed.md) -- NOT the agent. It serves resources/web/
// and answers the HTTP API and the /ws WebSocket with generated data, so the browser view can be
// developed and unit-tested without dockerd and etcd. The end-to-end test runs the real agent.
//
//   node stub-feed.mjs [--port 8088] [--hosts 3] [--services 12] [--events 30]
//                      [--interval 1000] [--token T] [--etcd-error "connection refused"]
//
// Tests import startStubFeed() and drive it directly (add/remove services, drop sockets, ...).

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = path.resolve(here, '../../resources/web');
const CSP = "default-src 'self'; connect-src 'self' ws: wss:";
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.json': 'application/json',
};
const BASE_NAMES = ['redis', 'postgres', 'nginx', 'api', 'worker', 'kafka', 'zookeeper', 'grafana', 'prometheus',
  'memcached', 'rabbitmq', 'minio', 'vault', 'haproxy', 'elasticsearch', 'kibana', 'jaeger', 'loki', 'mongo', 'mysql'];
const TAG_POOL = ['db', 'cache', 'prod', 'staging', 'blue', 'green', 'http', 'internal', 'metrics', 'queue'];

// Deterministic so that screenshots and tests see the same cluster every run.
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms) => new Date(ms).toISOString();

export class StubCluster {
  constructor({ hosts = 3, services = 12, events = 30, seed = 7, now = Date.now() } = {}) {
    this.rand = prng(seed);
    this.revision = 1000;
    this.seq = 0;
    this.hosts = new Map();
    this.services = new Map();
    this.events = [];
    this.balancers = new Map(); // name -> Balancer (docs/feed.md); tests put them
    this.eventLimit = 1000;
    this.nextPort = 32768;
    this.instance = new Map();
    this.etcd = { status: 'ready', error: '' };
    this.kv = new Map(); // key -> { value, createRevision, modRevision, version, lease }
    this.sortedKeys = null;
    const hostCount = Math.max(1, hosts);
    for (let h = 0; h < hostCount; h += 1) {
      const hostname = `core-${String(h + 1).padStart(2, '0')}`;
      this.putHost({
        hostname, address: `10.0.${Math.floor(h / 250)}.${(h % 250) + 5}`, agentVersion: '0.1.0',
        dockerVersion: '20.10.24', feedUrl: `http://10.0.0.${h + 5}:8080/`,
        startedAt: iso(now - 3600_000 * (2 + h)), up: true, goneAt: null,
      }, false);
    }
    const nameCount = Math.max(1, Math.min(BASE_NAMES.length * 25, Math.ceil(services / (services < 200 ? 3 : 25))));
    this.names = Array.from({ length: nameCount }, (_, j) =>
      BASE_NAMES[j % BASE_NAMES.length] + (j >= BASE_NAMES.length ? `-${Math.floor(j / BASE_NAMES.length)}` : ''));
    const hostnames = [...this.hosts.keys()];
    for (let i = 0; i < services; i += 1) {
      const name = this.names[i % nameCount];
      const host = hostnames[Math.floor(i / nameCount + i) % hostnames.length];
      this.putService(this.makeService(host, name, now - Math.floor(this.rand() * 3 * 86400_000)), false);
    }
    const recent = [...this.services.values()].slice(-Math.max(0, events - hostnames.length));
    for (const h of hostnames) this.pushEvent({ action: 'host-up', host: h }, now - 600_000);
    recent.forEach((s, i) => this.pushEvent({ action: 'added', host: s.host, service: s.name, serviceId: s.id, address: s.address },
      now - (recent.length - i) * 1500));
  }

  makeService(host, name, registeredAt = Date.now(), extra = {}) {
    const h = this.hosts.get(host);
    const ip = h ? h.address : '10.0.9.9';
    const k = (this.instance.get(`${host}/${name}`) || 0) + 1;
    this.instance.set(`${host}/${name}`, k);
    const privatePort = { redis: 6379, postgres: 5432, nginx: 80, mysql: 3306, mongo: 27017 }[name.split('-')[0]] || 8080;
    const containerName = `${name}.${k}`;
    const id = `${host}:${containerName}:${privatePort}`;
    const port = this.nextPort++;
    const tags = [TAG_POOL[Math.floor(this.rand() * TAG_POOL.length)]];
    if (this.rand() < 0.3) tags.push(TAG_POOL[Math.floor(this.rand() * TAG_POOL.length)]);
    const containerId = Array.from({ length: 64 }, () => Math.floor(this.rand() * 16).toString(16)).join('');
    return {
      key: `/portolan/services/${host}/${id}`, id, name, host, ip, port, address: `${ip}:${port}`, protocol: 'tcp',
      tags: [...new Set(tags)], attributes: { env: tags.includes('staging') ? 'staging' : 'prod' }, containerId, containerName,
      image: `example/${name.split('-')[0]}:latest`, registryKey: `/services/${name}/${id}`,
      registeredAt: iso(registeredAt), health: ['healthy', 'none', 'healthy', ''][port % 4], ...extra,
    };
  }

  putKv(key, value) {
    this.revision += 1;
    const old = this.kv.get(key);
    if (!old) this.sortedKeys = null;
    this.kv.set(key, {
      value, createRevision: old ? old.createRevision : this.revision, modRevision: this.revision,
      version: old ? old.version + 1 : 1, lease: '7587869363457219850',
    });
  }

  deleteKv(key) {
    this.revision += 1;
    if (this.kv.delete(key)) this.sortedKeys = null;
  }

  putHost(host) {
    this.hosts.set(host.hostname, host);
    if (host.up === false) this.deleteKv(`/portolan/hosts/${host.hostname}`);
    else this.putKv(`/portolan/hosts/${host.hostname}`, JSON.stringify(host));
  }

  putService(s) {
    this.services.set(s.id, s);
    this.putKv(s.key, JSON.stringify(s));
    this.putKv(s.registryKey, s.address);
  }

  dropService(s) {
    this.services.delete(s.id);
    this.deleteKv(s.key);
    this.deleteKv(s.registryKey);
  }

  pushEvent(fields, time = Date.now()) {
    const event = { seq: ++this.seq, action: fields.action, host: fields.host, service: fields.service || '',
      serviceId: fields.serviceId || '', address: fields.address || '', revision: this.revision, time: iso(time) };
    this.events.push(event);
    if (this.events.length > this.eventLimit) this.events.splice(0, this.events.length - this.eventLimit);
    return event;
  }

  snapshot(reason) {
    return { type: 'snapshot', protocol: 1, revision: this.revision, reason,
      hosts: [...this.hosts.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
      services: [...this.services.values()], events: this.events, balancers: [...this.balancers.values()] };
  }

  keys() {
    if (!this.sortedKeys) this.sortedKeys = [...this.kv.keys()].sort();
    return this.sortedKeys;
  }

  // GET /api/v1/tree semantics from docs/feed.md: immediate children, '/' separated, paged.
  tree(prefix, limit, after) {
    const keys = this.keys();
    const lower = (v) => {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let i = lower(prefix);
    if (after) {
      // Past `after`, and past its whole subtree when it names a directory.
      i = Math.max(i, after.endsWith('/') ? lower(`${after.slice(0, -1)}0`) : lower(after) + (keys[lower(after)] === after ? 1 : 0));
    }
    const children = [];
    let more = false;
    while (i < keys.length && keys[i].startsWith(prefix)) {
      if (children.length === limit) {
        more = true;
        break;
      }
      const rest = keys[i].slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        const name = rest.slice(0, slash);
        const dirKey = `${prefix}${name}/`;
        children.push({ name, key: dirKey, dir: true });
        i = lower(`${prefix}${name}0`);
      } else {
        children.push({ name: rest, key: keys[i], dir: false, size: Buffer.byteLength(this.kv.get(keys[i]).value) });
        i += 1;
      }
    }
    return { prefix, revision: this.revision, children, more, next: more ? children[children.length - 1].key : '' };
  }
}

export async function startStubFeed(options = {}) {
  const { port = 0, eventIntervalMs = 0, webRoot = WEB_ROOT, etcdError = '' } = options;
  const cluster = new StubCluster(options);
  if (etcdError) cluster.etcd = { status: 'error', error: etcdError };
  const clients = new Set();
  let refuseUntil = 0;
  let token = options.token || '';

  const authorised = (url) => !token || url.searchParams.get('token') === token;
  const sendJson = (res, code, body) => {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://stub');
    const p = url.pathname;
    if (p.startsWith('/api/')) {
      if (!authorised(url)) return sendJson(res, 401, { error: 'missing or wrong token' });
      const etcdDown = cluster.etcd.status !== 'ready';
      switch (p) {
        case '/api/v1/snapshot': return sendJson(res, 200, { ...cluster.snapshot('initial'), type: undefined });
        case '/api/v1/hosts': return sendJson(res, 200, { revision: cluster.revision, hosts: cluster.snapshot().hosts });
        case '/api/v1/services': {
          const h = url.searchParams.get('host');
          const n = url.searchParams.get('name');
          const services = [...cluster.services.values()].filter((s) => (!h || s.host === h) && (!n || s.name === n));
          return sendJson(res, 200, { revision: cluster.revision, services });
        }
        case '/api/v1/events': {
          const after = Number(url.searchParams.get('after') || 0);
          return sendJson(res, 200, { revision: cluster.revision, events: cluster.events.filter((e) => e.seq > after) });
        }
        case '/api/v1/tree': {
          if (etcdDown) return sendJson(res, 503, { error: `etcd unreachable: ${cluster.etcd.error}` });
          const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') || 100)));
          return sendJson(res, 200, cluster.tree(url.searchParams.get('prefix') || '/', limit, url.searchParams.get('after') || ''));
        }
        case '/api/v1/key': {
          if (etcdDown) return sendJson(res, 503, { error: `etcd unreachable: ${cluster.etcd.error}` });
          const key = url.searchParams.get('key') || '';
          const kv = cluster.kv.get(key);
          if (!kv) return sendJson(res, 404, { error: `no key ${key}` });
          return sendJson(res, 200, { key, ...kv });
        }
        default: return sendJson(res, 404, { error: `no such endpoint ${p}` });
      }
    }
    // Static files: the page itself needs the token (it is in the page URL); assets do not.
    if (p === '/' && !authorised(url)) {
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      return res.end('missing or wrong token\n');
    }
    const rel = p === '/' ? 'index.html' : p.startsWith('/assets/') ? p.slice(1) : null;
    const file = rel && path.resolve(webRoot, rel);
    if (!file || !file.startsWith(webRoot + path.sep)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not found\n');
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream',
        'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://stub');
    const refuse = (status) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (url.pathname !== '/ws') return refuse('404 Not Found');
    if (!authorised(url)) return refuse('401 Unauthorized');
    if (Date.now() < refuseUntil) return refuse('503 Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => {
        let msg = null;
        try {
          msg = isBinary ? null : JSON.parse(String(data));
        } catch {
          msg = null;
        }
        if (msg && msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong', id: msg.id }));
        else if (msg && msg.type === 'resync') ws.send(JSON.stringify(cluster.snapshot('resync')));
        else ws.close(1003, 'unsupported message');
      });
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, agent: '0.1.0-stub', hostname: 'stub-feed' }));
      ws.send(JSON.stringify({ type: 'status', status: cluster.etcd.status, error: cluster.etcd.error }));
      ws.send(JSON.stringify(cluster.snapshot('initial')));
    });
  });

  const broadcast = (msg) => {
    const text = JSON.stringify(msg);
    for (const ws of clients) if (ws.readyState === 1) ws.send(text);
  };
  const emitEvent = (fields) => broadcast({ type: 'event', event: cluster.pushEvent(fields) });

  const api = {
    cluster,
    get url() {
      return `http://127.0.0.1:${server.address().port}/`;
    },
    clientCount: () => clients.size,
    // Simulates a token rotated on the agent while a page is open.
    setToken(t) {
      token = t;
    },
    addService(host, name, extra = {}) {
      const s = cluster.makeService(host, name, Date.now(), extra);
      cluster.putService(s);
      broadcast({ type: 'service', op: 'added', service: s });
      emitEvent({ action: 'added', host: s.host, service: s.name, serviceId: s.id, address: s.address });
      return s;
    },
    removeService(id) {
      const s = cluster.services.get(id);
      if (!s) return null;
      cluster.dropService(s);
      broadcast({ type: 'service', op: 'removed', service: s });
      emitEvent({ action: 'removed', host: s.host, service: s.name, serviceId: s.id, address: s.address });
      return s;
    },
    changeService(id, patch) {
      const s = { ...cluster.services.get(id), ...patch };
      cluster.putService(s);
      broadcast({ type: 'service', op: 'changed', service: s });
      emitEvent({ action: 'changed', host: s.host, service: s.name, serviceId: s.id, address: s.address });
      return s;
    },
    setHostGone(hostname) {
      const h = { ...cluster.hosts.get(hostname), up: false, goneAt: new Date().toISOString() };
      cluster.putHost(h);
      broadcast({ type: 'host', host: h });
      emitEvent({ action: 'host-gone', host: hostname });
    },
    // A portolan-lb record written (or replaced), or gone (its lease expired).
    putBalancer(b) {
      cluster.balancers.set(b.name, { up: true, ...b });
      cluster.putKv(`/portolan/balancers/${b.name}`, JSON.stringify(b));
      broadcast({ type: 'balancer', balancer: { up: true, ...b } });
    },
    removeBalancer(name) {
      const b = cluster.balancers.get(name);
      cluster.balancers.delete(name);
      cluster.deleteKv(`/portolan/balancers/${name}`);
      if (b) broadcast({ type: 'balancer', balancer: { ...b, up: false } });
    },
    setEtcdStatus(status, error = '') {
      cluster.etcd = { status, error };
      broadcast({ type: 'status', status, error });
    },
    // One random add/remove/change, roughly keeping the number of services stable.
    randomChange() {
      const r = cluster.rand();
      const all = [...cluster.services.keys()];
      if (r < 0.4 || all.length < 2) {
        const hosts = [...cluster.hosts.values()].filter((h) => h.up !== false).map((h) => h.hostname);
        return api.addService(hosts[Math.floor(cluster.rand() * hosts.length)], cluster.names[Math.floor(cluster.rand() * cluster.names.length)]);
      }
      const id = all[Math.floor(cluster.rand() * all.length)];
      if (r < 0.75) return api.removeService(id);
      return api.changeService(id, { tags: [TAG_POOL[Math.floor(cluster.rand() * TAG_POOL.length)]] });
    },
    // Cuts every socket without a close frame, like a crashed agent; optionally refuses new
    // WebSocket upgrades for a while so the browser's reconnecting state can be seen.
    dropClients({ refuseForMs = 0 } = {}) {
      refuseUntil = Date.now() + refuseForMs;
      for (const ws of clients) ws.terminate();
    },
    async close() {
      clearInterval(timer);
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const timer = eventIntervalMs > 0 ? setInterval(() => api.randomChange(), eventIntervalMs) : 0;
  await new Promise((resolve) => server.listen(port, options.host || '127.0.0.1', resolve));
  return api;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const stub = await startStubFeed({
    port: Number(opt('port', 8088)), hosts: Number(opt('hosts', 3)), services: Number(opt('services', 12)),
    events: Number(opt('events', 30)), eventIntervalMs: Number(opt('interval', 1000)), token: opt('token', ''),
    etcdError: opt('etcd-error', ''),
  });
  console.log(`DEV/TEST STUB feed (not the agent) serving resources/web at ${stub.url}`);
}
