// Wiring: one feed connection fills one store; the header and the five views read from it.

import { BalancersView } from './balancers-view.js';
import { ClusterStore } from './cluster-store.js';
import { formatAgo, formatClock, formatCount, setAttr, setText } from './dom.js';
import { EventsView } from './events-view.js';
import { FeedConnection } from './feed-connection.js';
import { HostsView } from './hosts-view.js';
import { ServicesView } from './services-view.js';
import { TreeView } from './tree-view.js';

const TABS = ['hosts', 'services', 'balancers', 'events', 'tree'];
const $ = (sel) => document.querySelector(sel);

const store = new ClusterStore();
let connection = null;
let lastLiveAt = 0;

function etcdDown() {
  return store.etcd.status === 'error' || store.etcd.status === 'disconnected';
}

// Why a view has nothing to show, or null when the view itself knows better.
function emptyReason() {
  if (!store.hasSnapshot) {
    const s = connection.state;
    if (s.name === 'unauthorized') return `Not authorised: ${s.detail}`;
    return `Connecting to the agent…${s.detail ? ` (${s.detail})` : ''}`;
  }
  if (store.services.size === 0 && etcdDown()) return `etcd unreachable: ${store.etcd.error || store.etcd.status}`;
  if (store.services.size === 0 && store.etcd.status === 'connecting') return 'The agent is connecting to etcd…';
  return null;
}

const views = {
  hosts: new HostsView($('#view-hosts'), store, emptyReason),
  services: new ServicesView($('#view-services'), store, emptyReason),
  balancers: new BalancersView($('#view-balancers'), store, emptyReason),
  events: new EventsView($('#view-events'), store, emptyReason),
  tree: new TreeView($('#view-tree'), store, emptyReason),
};
let activeTab = '';

function showTab(name) {
  if (!TABS.includes(name)) name = 'hosts';
  if (name === activeTab) return;
  activeTab = name;
  for (const tab of TABS) {
    const on = tab === name;
    $(`#view-${tab}`).hidden = !on;
    setAttr($(`#tab-${tab}`), 'aria-selected', on ? 'true' : 'false');
    $(`#tab-${tab}`).classList.toggle('is-active', on);
  }
  for (const tab of TABS) views[tab].setVisible(tab === name);
  if (location.hash.slice(1) !== name) history.replaceState(null, '', `#${name}`);
}

function renderSummary(now = Date.now()) {
  const live = store.hasSnapshot;
  const { up, gone } = store.hostCounts();
  setText($('#summary-hosts-up'), live ? formatCount(up) : '—');
  setText($('#summary-hosts-gone'), live ? formatCount(gone) : '—');
  $('#summary-hosts-gone').classList.toggle('is-warn', gone > 0);
  setText($('#summary-services'), live ? formatCount(store.services.size) : '—');
  const last = store.lastEvent();
  setText($('#summary-last-event'), last ? formatAgo(last.time, now) : '—');
  $('#summary-last-event').title = last ? `${last.time} · ${last.action} ${last.serviceId || last.host}` : 'No events yet';
  // The Balancers tab says how many run, and turns red while one reports an error.
  const badge = $('#balancers-badge');
  const errors = store.balancerErrors();
  badge.hidden = !live || store.balancers.size === 0;
  setText(badge, errors ? `${store.balancers.size} · ${errors} failing` : formatCount(store.balancers.size));
  badge.classList.toggle('is-bad', errors > 0);
  badge.title = errors ? `${errors} balancer(s) report an error` : 'Running balancers';
  setText($('#agent-name'), store.agent.hostname ? `${store.agent.hostname}${store.agent.version ? ` · ${store.agent.version}` : ''}` : '');
  const etcd = store.etcd;
  const etcdEl = $('#etcd-state');
  setAttr(etcdEl, 'data-state', live || etcd.status !== 'connecting' ? etcd.status : 'unknown');
  setText(etcdEl, `etcd ${live || etcd.status !== 'connecting' ? etcd.status : '—'}`);
  etcdEl.title = etcd.error ? `etcd: ${etcd.error}` : "The agent's connection to etcd";
}

function renderConnection(now = Date.now()) {
  const s = connection.state;
  const pill = $('#connection-state');
  const wait = s.retryAt > now ? Math.ceil((s.retryAt - now) / 1000) : 0;
  const label = {
    connecting: wait ? `Connecting… retry in ${wait} s` : 'Connecting…',
    live: 'Live',
    reconnecting: wait ? `Reconnecting in ${wait} s` : 'Reconnecting…',
    unauthorized: 'Unauthorized',
  }[s.name];
  setAttr(pill, 'data-state', s.name);
  setText(pill, label);
  pill.title = s.name === 'live' ? 'Receiving live updates from the agent' : `${s.detail || label} — click to retry now`;
  document.body.classList.toggle('is-stale', s.name !== 'live');

  // Before the first snapshot the empty state of the view says what is going on; the banner is
  // for trouble while there is a picture on screen that may be getting old.
  let banner = '';
  let action = false;
  if (s.name === 'reconnecting') {
    banner = `Lost the connection to the agent: ${s.detail || 'closed'}. Showing the picture as of ${formatClock(new Date(lastLiveAt).toISOString()).slice(0, 8)}; ${wait ? `reconnecting in ${wait} s` : 'reconnecting now'}.`;
    action = !!wait;
  } else if (s.name === 'unauthorized') {
    banner = `Not authorised: ${s.detail}.`;
  } else if (store.hasSnapshot && store.services.size > 0 && etcdDown()) {
    banner = `etcd unreachable: ${store.etcd.error || store.etcd.status}. Showing the last picture the agent had; it catches up when etcd is back.`;
  }
  $('#banner').hidden = !banner;
  $('#banner').dataset.kind = s.name === 'live' ? 'etcd' : s.name;
  setText($('#banner-text'), banner);
  $('#banner-action').hidden = !action;
}

connection = new FeedConnection({
  onMessage: (msg) => store.apply(msg),
  onState: (state) => {
    if (state.name === 'live') lastLiveAt = Date.now();
    renderConnection();
    store.touch('connection');
  },
});

store.subscribe((topics) => {
  renderSummary();
  if (topics.has('status')) renderConnection();
  for (const tab of TABS) views[tab].update(topics);
});

for (const tab of TABS) $(`#tab-${tab}`).addEventListener('click', () => showTab(tab));
addEventListener('hashchange', () => showTab(location.hash.slice(1)));
$('#connection-state').addEventListener('click', () => connection.retryNow());
$('#banner-action').addEventListener('click', () => connection.retryNow());

setInterval(() => {
  const now = Date.now();
  if (connection.state.name === 'live') lastLiveAt = now;
  renderSummary(now);
  renderConnection(now);
  if (!document.hidden) views[activeTab].tick();
}, 1000);

showTab(location.hash.slice(1));
renderSummary();
connection.start();
