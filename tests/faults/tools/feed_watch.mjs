// A feed client for the fault scenarios: holds one WebSocket on an agent's /ws, keeps the
// picture the protocol describes (docs/feed.md: a snapshot replaces everything, deltas change
// it) and writes it, with a log of what came, to --state (atomically) at most every 100 ms while
// messages come, and at once on open, close and SIGTERM.
//
//   node feed_watch.mjs --url ws://127.0.0.1:PORT/ws --state FILE
//
// The state file: {"connected":bool,"closed":null|{code,reason},"revision":R,
//  "services":{"<id>":"<address>"}, "hosts":{"<name>":up}, "snapshots":[{"reason","revision","t"}],
//  "serviceOps":[{"op","id","t"}], "events":[{"action","serviceId","seq","t"}], "messages":N}
// Times are wall-clock milliseconds. It exits on SIGTERM (after writing) or when the socket
// closes (exit status 3, so the scenario notices a dropped client).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../browser/package.json'));
const WebSocket = require('ws');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const url = arg('url');
const stateFile = arg('state');
const now = () => Date.now();

const state = {
  connected: false, closed: null, revision: 0, services: {}, hosts: {},
  snapshots: [], serviceOps: [], events: [], messages: 0,
};

let pending = null;
function write() {
  if (pending) clearTimeout(pending);
  pending = null;
  fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
  fs.renameSync(`${stateFile}.tmp`, stateFile);
}
function writeSoon() {
  if (!pending) pending = setTimeout(write, 100);
}

const ws = new WebSocket(url, { perMessageDeflate: false });
ws.on('open', () => { state.connected = true; write(); });
ws.on('message', (data) => {
  const t = now();
  const m = JSON.parse(data.toString());
  state.messages += 1;
  switch (m.type) {
    case 'snapshot':
      state.revision = m.revision;
      state.services = {};
      for (const s of m.services) state.services[s.id] = s.address;
      state.hosts = {};
      for (const h of m.hosts) state.hosts[h.hostname] = h.up;
      state.snapshots.push({ reason: m.reason, revision: m.revision, t });
      break;
    case 'service':
      if (m.op === 'removed') delete state.services[m.service.id];
      else state.services[m.service.id] = m.service.address;
      state.serviceOps.push({ op: m.op, id: m.service.id, t });
      break;
    case 'host':
      state.hosts[m.host.hostname] = m.host.up;
      break;
    case 'event':
      state.events.push({ action: m.event.action, serviceId: m.event.serviceId ?? null,
        seq: m.event.seq, revision: m.event.revision, t });
      if (m.event.revision > state.revision) state.revision = m.event.revision;
      break;
    default:
      break;
  }
  writeSoon();
});
ws.on('close', (code, reason) => {
  state.connected = false;
  state.closed = { code, reason: reason.toString() };
  write();
  process.exit(3);
});
ws.on('error', (e) => {
  state.closed = { code: 0, reason: e.message };
  write();
  process.exit(2);
});
process.on('SIGTERM', () => { write(); process.exit(0); });
