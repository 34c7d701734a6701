#include "cluster/ClusterState.h"

#include <QSet>
#include <algorithm>

namespace {
QDateTime now()
{
    return QDateTime::currentDateTimeUtc();
}

// When a record found by a snapshot came to be: its own stamp, or now when it has none.
QDateTime stampOr(const QDateTime &recorded, const QDateTime &fallback)
{
    return recorded.isValid() ? recorded : fallback;
}
} // namespace

ClusterState::ClusterState(QString portolanPrefix, QObject *parent)
    : QObject(parent), m_keyspace(std::move(portolanPrefix))
{
}

// --- feeding ---

void ClusterState::advanceRevision(qint64 revision)
{
    if (revision <= m_revision)
        return;
    m_revision = revision;
    Q_EMIT revisionChanged();
}

void ClusterState::noteRevision(qint64 revision)
{
    advanceRevision(revision);
}

void ClusterState::appendEvent(ClusterEvent::Action action, const QString &host,
                               const ServiceRecord *service, qint64 revision, const QDateTime &when)
{
    ClusterEvent e;
    e.seq = m_nextSeq++;
    e.action = action;
    e.host = host;
    if (service) {
        e.service = service->name;
        e.serviceId = service->id;
        e.address = service->address();
    } else if (m_hosts.contains(host)) {
        e.address = m_hosts.value(host).address;
    }
    e.revision = revision;
    e.time = when;
    m_events.append(e);
    while (m_events.size() > m_eventLimit)
        m_events.removeFirst();
    Q_EMIT eventAppended(e);
}

void ClusterState::putHost(const HostRecord &record, qint64 revision, const QDateTime &when)
{
    const auto it = m_hosts.constFind(record.hostname);
    const bool cameUp = it == m_hosts.cend() || !it->up;
    if (!cameUp && *it == record)
        return;
    m_hosts.insert(record.hostname, record);
    Q_EMIT hostChanged(record);
    if (cameUp)
        appendEvent(ClusterEvent::Action::HostUp, record.hostname, nullptr, revision, when);
}

void ClusterState::hostGone(const QString &hostname, qint64 revision, const QDateTime &when)
{
    auto it = m_hosts.find(hostname);
    if (it == m_hosts.end() || !it->up)
        return;
    it->up = false;
    it->goneAt = when;
    const HostRecord gone = *it;
    Q_EMIT hostChanged(gone);
    appendEvent(ClusterEvent::Action::HostGone, hostname, nullptr, revision, when);
    trimGoneHosts();
}

void ClusterState::trimGoneHosts()
{
    QList<HostRecord> gone;
    for (const HostRecord &h : std::as_const(m_hosts)) {
        if (!h.up)
            gone.append(h);
    }
    if (gone.size() <= m_goneHostLimit)
        return;
    std::sort(gone.begin(), gone.end(), [](const HostRecord &a, const HostRecord &b) {
        return a.goneAt != b.goneAt ? a.goneAt < b.goneAt : a.hostname < b.hostname;
    });
    for (int i = 0; i < gone.size() - m_goneHostLimit; ++i) {
        m_hosts.remove(gone.at(i).hostname);
        Q_EMIT hostRemoved(gone.at(i).hostname);
    }
}

void ClusterState::putService(const ServiceRecord &record, qint64 revision, const QDateTime &when)
{
    const auto it = m_services.constFind(record.key);
    if (it == m_services.cend()) {
        m_services.insert(record.key, record);
        Q_EMIT serviceAdded(record);
        appendEvent(ClusterEvent::Action::Added, record.host, &record, revision, when);
    } else if (*it != record) {
        m_services.insert(record.key, record);
        Q_EMIT serviceChanged(record);
        appendEvent(ClusterEvent::Action::Changed, record.host, &record, revision, now());
    }
}

void ClusterState::dropService(const QString &key, qint64 revision)
{
    const auto it = m_services.constFind(key);
    if (it == m_services.cend())
        return;
    const ServiceRecord old = *it;
    m_services.erase(it);
    Q_EMIT serviceRemoved(old);
    appendEvent(ClusterEvent::Action::Removed, old.host, &old, revision, now());
}

void ClusterState::upsertHost(const HostRecord &host, qint64 revision)
{
    putHost(host, revision, now());
    advanceRevision(revision);
}

void ClusterState::removeHost(const QString &hostname, qint64 revision)
{
    hostGone(hostname, revision, now());
    advanceRevision(revision);
}

void ClusterState::upsertService(const ServiceRecord &service, qint64 revision)
{
    putService(service, revision, now());
    advanceRevision(revision);
}

void ClusterState::removeService(const QString &key, qint64 revision)
{
    dropService(key, revision);
    advanceRevision(revision);
}

void ClusterState::resetToSnapshot(const ClusterSnapshot &snapshot)
{
    // Read the listing into a new picture first, then walk the differences in a fixed order
    // (services removed, hosts gone, hosts up or changed, services added or changed), so the
    // event log reads as if the watch had never been interrupted.
    const qint64 revision = snapshot.revision;
    QMap<QString, std::pair<HostRecord, qint64>> newHosts;
    QMap<QString, std::pair<ServiceRecord, qint64>> newServices;
    for (const auto &h : snapshot.hosts)
        newHosts.insert(h.record.hostname, {h.record, h.revision ? h.revision : revision});
    for (const auto &s : snapshot.services)
        newServices.insert(s.record.key, {s.record, s.revision ? s.revision : revision});
    QSet<QString> newBalancers;
    for (const auto &b : snapshot.balancers)
        newBalancers.insert(b.record.name);

    QStringList oldServiceKeys = m_services.keys();
    std::sort(oldServiceKeys.begin(), oldServiceKeys.end());
    for (const QString &key : std::as_const(oldServiceKeys)) {
        if (!newServices.contains(key))
            dropService(key, revision);
    }
    QStringList oldHosts = m_hosts.keys();
    std::sort(oldHosts.begin(), oldHosts.end());
    const QDateTime listedAt = now();
    for (const QString &h : std::as_const(oldHosts)) {
        if (!newHosts.contains(h))
            hostGone(h, revision, listedAt);
    }
    // What was already there when we listed happened when its record says, not now: the event
    // log, the Overview's "last event" and the feed then agree with the browser view.
    for (auto it = newHosts.cbegin(); it != newHosts.cend(); ++it)
        putHost(it->first, it->second, stampOr(it->first.startedAt, listedAt));
    for (auto it = newServices.cbegin(); it != newServices.cend(); ++it)
        putService(it->first, it->second, stampOr(it->first.registeredAt, listedAt));
    const QStringList oldBalancers = m_balancers.keys();
    for (const QString &name : oldBalancers) {
        if (!newBalancers.contains(name))
            dropBalancer(name);
    }
    for (const auto &b : snapshot.balancers)
        putBalancer(b.record);

    if (revision != m_revision) {
        m_revision = revision; // may go back when etcd was replaced by an older one
        Q_EMIT revisionChanged();
    }
    Q_EMIT snapshotReset(revision);
}

void ClusterState::setStatus(Status status, const QString &errorString)
{
    const bool statusDiffers = status != m_status;
    const bool errorDiffers = errorString != m_errorString;
    m_status = status;
    m_errorString = errorString;
    if (statusDiffers)
        Q_EMIT statusChanged();
    if (errorDiffers)
        Q_EMIT errorStringChanged();
}

void ClusterState::setEventLimit(int limit)
{
    m_eventLimit = std::max(1, limit);
    while (m_events.size() > m_eventLimit)
        m_events.removeFirst();
}

void ClusterState::setGoneHostLimit(int limit)
{
    m_goneHostLimit = std::max(0, limit);
    trimGoneHosts();
}

// --- reading ---

QList<HostRecord> ClusterState::hosts() const
{
    QList<HostRecord> out = m_hosts.values();
    std::sort(out.begin(), out.end(),
              [](const HostRecord &a, const HostRecord &b) { return a.hostname < b.hostname; });
    return out;
}

namespace {
bool byHostThenId(const ServiceRecord &a, const ServiceRecord &b)
{
    return a.host != b.host ? a.host < b.host : a.id != b.id ? a.id < b.id : a.key < b.key;
}
} // namespace

QList<ServiceRecord> ClusterState::services() const
{
    QList<ServiceRecord> out = m_services.values();
    std::sort(out.begin(), out.end(), byHostThenId);
    return out;
}

QList<ServiceRecord> ClusterState::servicesOnHost(const QString &host) const
{
    QList<ServiceRecord> out;
    for (const ServiceRecord &s : m_services) {
        if (s.host == host)
            out.append(s);
    }
    std::sort(out.begin(), out.end(), byHostThenId);
    return out;
}

QMap<QString, QList<ServiceRecord>> ClusterState::servicesByName() const
{
    QMap<QString, QList<ServiceRecord>> out;
    for (const ServiceRecord &s : services())
        out[s.name].append(s);
    return out;
}

QList<ClusterEvent> ClusterState::events() const
{
    return m_events;
}

void ClusterState::upsertBalancer(const BalancerRecord &balancer, qint64 revision)
{
    putBalancer(balancer);
    advanceRevision(revision);
}

void ClusterState::removeBalancer(const QString &name, qint64 revision)
{
    dropBalancer(name);
    advanceRevision(revision);
}

QList<BalancerRecord> ClusterState::balancers() const
{
    QList<BalancerRecord> out = m_balancers.values();
    std::sort(out.begin(), out.end(),
              [](const BalancerRecord &a, const BalancerRecord &b) { return a.name < b.name; });
    return out;
}

void ClusterState::putBalancer(const BalancerRecord &record)
{
    auto it = m_balancers.find(record.name);
    if (it != m_balancers.end() && *it == record)
        return;
    m_balancers.insert(record.name, record);
    Q_EMIT balancerChanged(record);
}

void ClusterState::dropBalancer(const QString &name)
{
    const auto it = m_balancers.find(name);
    if (it == m_balancers.end())
        return;
    BalancerRecord gone = *it;
    m_balancers.erase(it);
    gone.up = false;
    Q_EMIT balancerChanged(gone);
}
