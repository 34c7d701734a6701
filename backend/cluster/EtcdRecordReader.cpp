#include "cluster/EtcdRecordReader.h"

#include "cluster/ClusterState.h"
#include "etcd/EtcdClient.h"
#include "etcd/EtcdWatchStream.h"

#include <algorithm>
#include <optional>

namespace {
constexpr int MaxWarnedKeys = 1024;
} // namespace

struct EtcdRecordReader::Decoded {
    Keyspace::Key::Kind kind = Keyspace::Key::Kind::Other;
    HostRecord host;
    std::optional<ServiceRecord> service;   // nullopt: unreadable, so no service
    std::optional<BalancerRecord> balancer; // nullopt: unreadable, so no balancer
};

EtcdRecordReader::EtcdRecordReader(ClusterState *state)
    : m_state(state), m_keyspace(state->keyspace())
{
}

void EtcdRecordReader::warnOnce(const QString &key, const QString &message)
{
    if (m_warnedKeys.contains(key))
        return;
    if (m_warnedKeys.size() >= MaxWarnedKeys)
        m_warnedKeys.clear();
    m_warnedKeys.insert(key);
    qWarning("%s", qPrintable(message));
}

EtcdRecordReader::Decoded EtcdRecordReader::decode(const QString &key, const QByteArray &value)
{
    const Keyspace::Key where = m_keyspace.parse(key);
    Decoded out;
    out.kind = where.kind;
    if (where.kind == Keyspace::Key::Kind::Host) {
        // The key alone says the agent is alive, so a host with an unreadable record is still up.
        const std::optional<HostRecord> host = HostRecord::fromEtcdValue(value);
        if (!host)
            warnOnce(key, QStringLiteral("host record %1 is not a JSON object; showing the host "
                                         "with its name only")
                              .arg(key));
        out.host = host.value_or(HostRecord());
        out.host.hostname = where.host; // the key names the host; a record cannot move it
    } else if (where.kind == Keyspace::Key::Kind::Balancer) {
        out.balancer = BalancerRecord::fromEtcdValue(value);
        if (!out.balancer)
            warnOnce(key, QStringLiteral("balancer record %1 is not a JSON object; ignoring it "
                                         "until it is written again")
                              .arg(key));
        else
            out.balancer->name = where.id; // the key names the balancer
    } else if (where.kind == Keyspace::Key::Kind::Service) {
        out.service = ServiceRecord::fromEtcdValue(value);
        if (!out.service) {
            warnOnce(key, QStringLiteral("service record %1 is not a JSON object; ignoring it "
                                         "until it is written again")
                              .arg(key));
            return out;
        }
        ServiceRecord &s = *out.service;
        s.key = key;
        if (s.host.isEmpty())
            s.host = where.host;
        if (s.id.isEmpty())
            s.id = where.id;
        if (s.name.isEmpty()) {
            warnOnce(key, QStringLiteral("service record %1 has no name; listing it as \"%2\"")
                              .arg(key, s.id));
            s.name = s.id;
        }
    }
    return out;
}

void EtcdRecordReader::put(const QByteArray &keyBytes, const QByteArray &value, qint64 revision)
{
    if (!m_state)
        return;
    const QString key = QString::fromUtf8(keyBytes);
    const Decoded d = decode(key, value);
    switch (d.kind) {
    case Keyspace::Key::Kind::Host:
        m_state->upsertHost(d.host, revision);
        break;
    case Keyspace::Key::Kind::Service:
        if (d.service)
            m_state->upsertService(*d.service, revision);
        else
            m_state->removeService(key, revision); // a record that became unreadable is no service
        break;
    case Keyspace::Key::Kind::Balancer:
        if (d.balancer)
            m_state->upsertBalancer(*d.balancer, revision);
        else
            m_state->removeBalancer(m_keyspace.parse(key).id, revision);
        break;
    case Keyspace::Key::Kind::Other:
        m_state->noteRevision(revision);
        break;
    }
}

void EtcdRecordReader::remove(const QByteArray &keyBytes, qint64 revision)
{
    if (!m_state)
        return;
    const QString key = QString::fromUtf8(keyBytes);
    const Keyspace::Key where = m_keyspace.parse(key);
    switch (where.kind) {
    case Keyspace::Key::Kind::Host:
        m_state->removeHost(where.host, revision);
        break;
    case Keyspace::Key::Kind::Service:
        m_state->removeService(key, revision);
        break;
    case Keyspace::Key::Kind::Balancer:
        m_state->removeBalancer(where.id, revision);
        break;
    case Keyspace::Key::Kind::Other:
        m_state->noteRevision(revision);
        break;
    }
}

void EtcdRecordReader::reset(const QList<EtcdKeyValue> &kvs, qint64 revision)
{
    if (!m_state)
        return;
    ClusterSnapshot snapshot;
    snapshot.revision = revision;
    for (const EtcdKeyValue &kv : kvs) {
        const Decoded d = decode(QString::fromUtf8(kv.key), kv.value);
        if (d.kind == Keyspace::Key::Kind::Host)
            snapshot.hosts.append({d.host, kv.modRevision});
        else if (d.kind == Keyspace::Key::Kind::Service && d.service)
            snapshot.services.append({*d.service, kv.modRevision});
        else if (d.kind == Keyspace::Key::Kind::Balancer && d.balancer)
            snapshot.balancers.append({*d.balancer, kv.modRevision});
    }
    m_state->resetToSnapshot(snapshot);
}

void EtcdRecordReader::noteRevision(qint64 revision)
{
    if (m_state)
        m_state->noteRevision(revision);
}

qint64 EtcdRecordReader::apply(const EtcdWatchMessage &m, qint64 seen)
{
    if (m.isProgress()) {
        // Everything up to the header revision has been sent (etcd only notifies watchers that
        // are caught up).
        if (m.headerRevision > seen) {
            noteRevision(m.headerRevision);
            return m.headerRevision;
        }
        return seen;
    }
    if (!m.valid || !m.error.isEmpty() || m.created || m.canceled)
        return seen;
    // A lease expiry deletes a host record and its services in one revision; report the
    // services first, as resetToSnapshot does, so the timeline reads the same either way.
    const QByteArray hostsRoot = m_keyspace.hostsRoot().toUtf8();
    QList<const EtcdWatchMessage::Event *> hostDeletes;
    auto flushHostDeletes = [&] {
        for (const EtcdWatchMessage::Event *e : std::as_const(hostDeletes))
            remove(e->kv.key, e->kv.modRevision);
        hostDeletes.clear();
    };
    for (const EtcdWatchMessage::Event &e : m.events) {
        if (!hostDeletes.isEmpty() && hostDeletes.first()->kv.modRevision != e.kv.modRevision)
            flushHostDeletes();
        if (e.isDelete && e.kv.key.startsWith(hostsRoot))
            hostDeletes << &e;
        else if (e.isDelete)
            remove(e.kv.key, e.kv.modRevision);
        else
            put(e.kv.key, e.kv.value, e.kv.modRevision);
        seen = std::max(seen, e.kv.modRevision);
    }
    flushHostDeletes();
    return seen;
}
