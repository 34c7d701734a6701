// Feed benchmark client (called by bench/bench.py): opens N WebSocket clients on the agent's
// feed, waits until each has its initial snapshot, reads the agent's RSS, then makes P etcd
// puts of a detail record (a new service each time) and records, per client, the delay from
// just before the put to the moment the client receives the matching `service` message.
// Writes one JSON object to --out. Everything is bounded; the process exits by itself.
//
//   node feed-client.mjs --feed 127.0.0.1:PORT --etcd 127.0.0.1:PORT --clients 100 --probes 50 --pid AGENT_PID \
//        --out RESULT.json [--hold-ms MS] [--ready-file PATH]
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const feed = arg('feed');
const [etcdHost, etcdPort] = arg('etcd').split(':');
const nClients = Number(arg('clients', 100));
const nProbes = Number(arg('probes', 50));
const pid = arg('pid');
const now = () => performance.timeOrigin + performance.now(); // wall clock, ms, sub-ms
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64 = (s) => Buffer.from(s).toString('base64');
const fail = (msg) => { console.error(`feed-client: ${msg}`); process.exit(1); };
setTimeout(() => fail('overall deadline (240 s) passed'), 240_000).unref();

const rssKb = () => {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : -1;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function etcd(path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: etcdHost, port: etcdPort, path, method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timeout`)));
    req.on('error', reject);
    req.end(data);
  });
}

const HOST = 'benchfeed';
const PREFIX = `/portolan/services/${HOST}/`;
const tPut = new Map();          // probe -> put time (ms)
const got = new Map();           // probe -> Set of client ids that have it
const delays = [];               // ms, one per (client, probe)
let waiter = null;               // resolves when every client has the current probe

function onProbe(client, probe, t) {
  const seen = got.get(probe);
  if (!seen || seen.has(client)) return;
  seen.add(client);
  delays.push(t - tPut.get(probe));
  if (seen.size === nClients && waiter) waiter();
}

// ---- connect
const snapshotted = new Set();
let connectedAll;
const allSnapshots = new Promise((r) => { connectedAll = r; });
const sockets = [];
let done = false;
const tConnect = now();
for (let id = 0; id < nClients; id++) {
  const ws = new WebSocket(`ws://${feed}/ws`, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on('message', (data) => {
    const t = now();
    const s = data.toString();
    if (!snapshotted.has(id)) {
      if (s.startsWith('{"type":"snapshot"') || s.includes('"type":"snapshot"')) {
        snapshotted.add(id);
        if (snapshotted.size === nClients) connectedAll();
      }
      return;
    }
    const i = s.indexOf(`${HOST}:probe-`);
    if (i < 0 || !s.includes('"type":"service"') || !s.includes('"op":"added"')) return;
    onProbe(id, Number(/probe-(\d+)/.exec(s.slice(i))[1]), t);
  });
  ws.on('error', (e) => fail(`client ${id}: ${e.message}`));
  ws.on('close', (code) => { if (!done) fail(`client ${id} closed (${code})`); });
}
// The deadline must not fire later, once every client has its snapshot (it once did, mid-probes).
const connectDeadline = setTimeout(() => fail(`only ${snapshotted.size} of ${nClients} clients got a snapshot in 60 s`), 60_000);
await allSnapshots;
clearTimeout(connectDeadline);
const connectMs = now() - tConnect;
// Tells a profiler driving the agent that every client is connected (e.g. to start collecting).
if (arg('ready-file')) fs.writeFileSync(arg('ready-file'), `${connectMs}\n`);
await sleep(3000);
const rssWithClients = rssKb();
await sleep(Number(arg('hold-ms', 0))); // lets a profiler look at the agent with every client connected

// ---- probes
const perProbeLast = [];
let missed = 0;
for (let p = 0; p < nProbes; p++) {
  const key = `${PREFIX}${HOST}:probe-${p}:1`;
  const id = `${HOST}:probe-${p}:1`;
  got.set(p, new Set());
  const all = new Promise((r) => { waiter = r; });
  const t0 = now();
  tPut.set(p, t0);
  const value = JSON.stringify({ id, name: 'probe', host: HOST, ip: '127.0.0.1', port: 1, protocol: 'tcp',
    tags: [], attributes: { benchPutMs: String(t0) }, containerId: 'bench', containerName: `probe-${p}`,
    image: 'bench/probe', key: `/services/probe/${id}`, registeredAt: new Date(t0).toISOString() });
  await etcd('/v3/kv/put', { key: b64(key), value: b64(value) });
  const ok = await Promise.race([all.then(() => true), sleep(5000).then(() => false)]);
  if (!ok) missed += nClients - got.get(p).size;
  const mine = delays.slice(-got.get(p).size);
  perProbeLast.push(Math.max(...mine));
  await sleep(50 + Math.random() * 30);
}
done = true;
await etcd('/v3/kv/deleterange', { key: b64(PREFIX), range_end: b64(PREFIX.slice(0, -1) + '0') });
for (const ws of sockets) ws.terminate();
agent.destroy();
// A file, not stdout: process.exit() cuts a piped stdout after 64 KiB.
fs.writeFileSync(arg('out'), JSON.stringify({ clients: nClients, probes: nProbes, connect_ms: connectMs,
  rss_with_clients_kb: rssWithClients, missed, delays_ms: delays, per_probe_last_ms: perProbeLast }) + '\n');
process.exit(0);
