#include "cluster/ClusterState.h"

#include "etcd/EtcdClient.h"

#include <QJsonDocument>
#include <algorithm>

namespace {
bool sameHost(const HostRecord &a, const HostRecord &b)
{
    return a.hostname == b.hostname && a.address == b.address && a.agentVersion == b.agentVersion &&
           a.dockerVersion == b.dockerVersion && a.feedUrl == b.feedUrl &&
           a.startedAt == b.startedAt && a.up == b.up;
}

constexpr int MaxWarnedKeys = 1024;
} // namespace

ClusterState::ClusterState(QString portolanPrefix, QObject *parent)
    : QObject(parent), m_prefix(std::move(portolanPrefix))
{
    while (m_prefix.endsWith(QLatin1Char('/')))
        m_prefix.chop(1);
}

// --- feeding ---

ClusterState::KeyKind ClusterState::classify(const QString &key, QString *host, QString *id) const
{
    const QString hosts = m_prefix + QStringLiteral("/hosts/");
    const QString services = m_prefix + QStringLiteral("/services/");
    if (key.startsWith(hosts)) {
        *host = key.mid(hosts.size());
        return host->isEmpty() || host->contains(QLatin1Char('/')) ? KeyKind::Other : KeyKind::Host;
    }
    if (key.startsWith(services)) {
        const QString rest = key.mid(services.size());
        const int slash = rest.indexOf(QLatin1Char('/'));
        if (slash <= 0 || slash == rest.size() - 1)
            return KeyKind::Other;
        *host = rest.left(slash);
        *id = rest.mid(slash + 1);
        return KeyKind::Service;
    }
    return KeyKind::Other;
}

void ClusterState::warnOnce(const QString &key, const QString &message)
{
    if (m_warnedKeys.contains(key))
        return;
    if (m_warnedKeys.size() >= MaxWarnedKeys)
        m_warnedKeys.clear();
    m_warnedKeys.insert(key);
    qWarning("%s", qPrintable(message));
}

bool ClusterState::parseHost(const QString &key, const QString &hostname, const QByteArray &value,
                             HostRecord *out)
{
    // The key alone says the agent is alive, so a host with an unreadable record is still up.
    if (!QJsonDocument::fromJson(value).isObject())
        warnOnce(key, QStringLiteral("host record %1 is not a JSON object; showing the host "
                                     "with its name only")
                          .arg(key));
    *out = HostRecord::fromEtcd(hostname, value);
    out->hostname = hostname; // the key names the host; a record cannot move it elsewhere
    return true;
}

bool ClusterState::parseService(const QString &key, const QString &host, const QString &id,
                                const QByteArray &value, ServiceRecord *out)
{
    if (!QJsonDocument::fromJson(value).isObject()) {
        warnOnce(key, QStringLiteral("service record %1 is not a JSON object; ignoring it "
                                     "until it is written again")
                          .arg(key));
        return false;
    }
    *out = ServiceRecord::fromEtcd(key, value);
    if (out->host.isEmpty())
        out->host = host;
    if (out->id.isEmpty())
        out->id = id;
    if (out->name.isEmpty()) {
        warnOnce(key, QStringLiteral("service record %1 has no name; listing it as \"%2\"")
                          .arg(key, out->id));
        out->name = out->id;
    }
    return true;
}

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
                               const ServiceRecord *service, qint64 revision)
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
    e.time = QDateTime::currentDateTimeUtc();
    m_events.append(e);
    while (m_events.size() > m_eventLimit)
        m_events.removeFirst();
    Q_EMIT eventAppended(e);
}

void ClusterState::putHost(const HostRecord &record, qint64 revision)
{
    const auto it = m_hosts.constFind(record.hostname);
    const bool cameUp = it == m_hosts.cend() || !it->up;
    if (!cameUp && sameHost(*it, record))
        return;
    m_hosts.insert(record.hostname, record);
    Q_EMIT hostChanged(record);
    if (cameUp)
        appendEvent(ClusterEvent::Action::HostUp, record.hostname, nullptr, revision);
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
    appendEvent(ClusterEvent::Action::HostGone, hostname, nullptr, revision);
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

void ClusterState::putService(const ServiceRecord &record, qint64 revision)
{
    const auto it = m_services.constFind(record.key);
    if (it == m_services.cend()) {
        m_services.insert(record.key, record);
        Q_EMIT serviceAdded(record);
        appendEvent(ClusterEvent::Action::Added, record.host, &record, revision);
    } else if (!(*it == record)) {
        m_services.insert(record.key, record);
        Q_EMIT serviceChanged(record);
        appendEvent(ClusterEvent::Action::Changed, record.host, &record, revision);
    }
}

void ClusterState::removeService(const QString &key, qint64 revision)
{
    const auto it = m_services.constFind(key);
    if (it == m_services.cend())
        return;
    const ServiceRecord old = *it;
    m_services.erase(it);
    Q_EMIT serviceRemoved(old);
    appendEvent(ClusterEvent::Action::Removed, old.host, &old, revision);
}

void ClusterState::applyPut(const QByteArray &keyBytes, const QByteArray &value, qint64 revision)
{
    const QString key = QString::fromUtf8(keyBytes);
    QString host, id;
    switch (classify(key, &host, &id)) {
    case KeyKind::Host: {
        HostRecord h;
        if (parseHost(key, host, value, &h))
            putHost(h, revision);
        break;
    }
    case KeyKind::Service: {
        ServiceRecord s;
        if (parseService(key, host, id, value, &s))
            putService(s, revision);
        else
            removeService(key, revision); // a record that became unreadable is no service
        break;
    }
    case KeyKind::Other:
        break;
    }
    advanceRevision(revision);
}

void ClusterState::applyDelete(const QByteArray &keyBytes, qint64 revision)
{
    const QString key = QString::fromUtf8(keyBytes);
    QString host, id;
    switch (classify(key, &host, &id)) {
    case KeyKind::Host:
        hostGone(host, revision, QDateTime::currentDateTimeUtc());
        break;
    case KeyKind::Service:
        removeService(key, revision);
        break;
    case KeyKind::Other:
        break;
    }
    advanceRevision(revision);
}

void ClusterState::resetFromSnapshot(const QList<EtcdKeyValue> &kvs, qint64 revision)
{
    // Read the listing into a new picture first, then walk the differences in a fixed order
    // (services removed, hosts gone, hosts up or changed, services added or changed), so the
    // event log reads as if the watch had never been interrupted.
    QMap<QString, std::pair<HostRecord, qint64>> newHosts;
    QMap<QString, std::pair<ServiceRecord, qint64>> newServices;
    for (const EtcdKeyValue &kv : kvs) {
        const QString key = QString::fromUtf8(kv.key);
        QString host, id;
        switch (classify(key, &host, &id)) {
        case KeyKind::Host: {
            HostRecord h;
            if (parseHost(key, host, kv.value, &h))
                newHosts.insert(h.hostname, {h, kv.modRevision ? kv.modRevision : revision});
            break;
        }
        case KeyKind::Service: {
            ServiceRecord s;
            if (parseService(key, host, id, kv.value, &s))
                newServices.insert(key, {s, kv.modRevision ? kv.modRevision : revision});
            break;
        }
        case KeyKind::Other:
            break;
        }
    }

    QStringList oldServiceKeys = m_services.keys();
    std::sort(oldServiceKeys.begin(), oldServiceKeys.end());
    for (const QString &key : std::as_const(oldServiceKeys)) {
        if (!newServices.contains(key))
            removeService(key, revision);
    }
    QStringList oldHosts = m_hosts.keys();
    std::sort(oldHosts.begin(), oldHosts.end());
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const QString &h : std::as_const(oldHosts)) {
        if (!newHosts.contains(h))
            hostGone(h, revision, now);
    }
    for (auto it = newHosts.cbegin(); it != newHosts.cend(); ++it)
        putHost(it->first, it->second);
    for (auto it = newServices.cbegin(); it != newServices.cend(); ++it)
        putService(it->first, it->second);

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
