#include "registry/EtcdV3Registry.h"

#include "core/Version.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTimer>

namespace {
constexpr int MaxTxnOps = 128; // etcd's default --max-txn-ops

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}
} // namespace

EtcdV3Registry::EtcdV3Registry(const RegistryConfig &config, QObject *parent)
    : DeclarativeRegistry(config, clientOptions(config), parent)
{
}

EtcdV3Registry::~EtcdV3Registry() = default;

QString EtcdV3Registry::describe() const
{
    return QStringLiteral("etcd v3 at %1 prefix %2").arg(endpointNames(), m_config.prefix);
}

QString EtcdV3Registry::serviceKey(const ServiceDefinition &s) const
{
    return registratorKey(s);
}

QByteArray EtcdV3Registry::serviceValue(const ServiceDefinition &s) const
{
    return s.address().toUtf8();
}

QString EtcdV3Registry::detailPrefix() const
{
    return m_config.portolanPrefix + QStringLiteral("/services/") + m_config.hostname +
           QLatin1Char('/');
}

QString EtcdV3Registry::detailKey(const QString &serviceId) const
{
    return detailPrefix() + serviceId;
}

QString EtcdV3Registry::hostKey() const
{
    return m_config.portolanPrefix + QStringLiteral("/hosts/") + m_config.hostname;
}

QByteArray EtcdV3Registry::detailValue(const ServiceDefinition &s) const
{
    QJsonObject attributes;
    for (auto it = s.attributes.cbegin(); it != s.attributes.cend(); ++it)
        attributes.insert(it.key(), it.value());
    const QJsonObject o{
        {QStringLiteral("id"), s.id},
        {QStringLiteral("name"), s.name},
        {QStringLiteral("host"), m_config.hostname},
        {QStringLiteral("ip"), s.ip},
        {QStringLiteral("port"), s.port},
        {QStringLiteral("protocol"), s.protocol},
        {QStringLiteral("tags"), QJsonArray::fromStringList(s.tags)},
        {QStringLiteral("attributes"), attributes},
        {QStringLiteral("containerId"), s.containerId},
        {QStringLiteral("containerName"), s.containerName},
        {QStringLiteral("image"), s.image},
        {QStringLiteral("key"), serviceKey(s)},
        {QStringLiteral("registeredAt"),
         isoUtc(m_registeredAt.value(s.id, QDateTime::currentDateTimeUtc()))},
    };
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void EtcdV3Registry::setHostInfo(const QJsonObject &info)
{
    m_hostInfo = info;
    m_hostGeneration = ++m_generation;
    schedulePump();
}

bool EtcdV3Registry::isIdle() const
{
    return !m_busy && m_dirty.isEmpty() && m_deletes.isEmpty() && m_orphanKeys.isEmpty() &&
           m_hostGeneration == 0 && !m_needListing && m_lease != 0;
}

void EtcdV3Registry::start()
{
    if (m_running)
        return;
    m_running = true;
    if (!m_startedAt.isValid())
        m_startedAt = QDateTime::currentDateTimeUtc();
    m_hostGeneration = ++m_generation;
    m_needLeaseCheck = m_lease != 0;
    if (m_lease != 0)
        m_refreshTimer->start();
    schedulePump();
}

void EtcdV3Registry::registerService(const ServiceDefinition &service)
{
    m_deletes.remove(service.id);
    const auto old = m_desired.constFind(service.id);
    if (old != m_desired.cend() && serviceKey(*old) != serviceKey(service))
        m_orphanKeys.insert(serviceKey(*old), ++m_generation);
    desire(service);
    if (!m_registeredAt.contains(service.id))
        m_registeredAt.insert(service.id, QDateTime::currentDateTimeUtc());
    schedulePump();
}

void EtcdV3Registry::deregisterService(const ServiceDefinition &service)
{
    const ServiceDefinition known = undesire(service);
    m_registeredAt.remove(service.id);
    m_deletes.insert(service.id, {service, serviceKey(known), false, ++m_generation});
    schedulePump();
}

void EtcdV3Registry::reconcile(const QList<ServiceDefinition> &services)
{
    QHash<QString, ServiceDefinition> desired;
    for (const ServiceDefinition &s : services)
        desired.insert(s.id, s);
    for (auto it = m_registeredAt.begin(); it != m_registeredAt.end();) {
        if (desired.contains(it.key()))
            ++it;
        else
            it = m_registeredAt.erase(it);
    }
    for (const ServiceDefinition &s : services) {
        m_deletes.remove(s.id);
        if (!m_registeredAt.contains(s.id))
            m_registeredAt.insert(s.id, QDateTime::currentDateTimeUtc());
    }
    m_desired = desired;
    m_needListing = true;
    markAllDirty();
    schedulePump();
}

void EtcdV3Registry::markAllDirty()
{
    DeclarativeRegistry::markAllDirty();
    m_hostGeneration = ++m_generation;
}

void EtcdV3Registry::pump()
{
    if (!m_running || m_busy || m_retryTimer->isActive())
        return;
    if (m_lease == 0)
        return grantLease();
    if (m_needLeaseCheck)
        return checkLease();
    if (m_needListing)
        return listOwnRecords();
    if (!m_dirty.isEmpty() || !m_deletes.isEmpty() || !m_orphanKeys.isEmpty() ||
        m_hostGeneration != 0)
        return writeBatch();
    Q_EMIT idle();
}

void EtcdV3Registry::prepareRecovery()
{
    // Whatever happened while etcd was away, check the lease and heal everything on return.
    m_needLeaseCheck = m_lease != 0;
    markAllDirty();
}

bool EtcdV3Registry::isLeaseGone(const EtcdError &error) const
{
    return error.kind == EtcdError::Kind::Rejected &&
           error.message.contains(QLatin1String("lease not found"));
}

void EtcdV3Registry::grantLease()
{
    m_busy = true;
    m_client->leaseGrant(m_config.ttlSeconds, this, [this](const EtcdResponse &r) {
        m_busy = false;
        if (r.error.isError())
            return fail(r.error);
        m_lease = EtcdClient::int64(r.json.value(QLatin1String("ID")));
        if (m_lease == 0)
            return fail({EtcdError::Kind::Protocol, 0, r.httpStatus,
                         QStringLiteral("etcd at %1 granted a lease without an ID")
                             .arg(EtcdClient::displayName(r.endpoint))});
        m_needLeaseCheck = false;
        markAllDirty();
        if (m_running)
            m_refreshTimer->start();
        setUp();
        Q_EMIT leaseGranted(m_lease);
        schedulePump();
    });
}

void EtcdV3Registry::checkLease()
{
    m_busy = true;
    const qint64 lease = m_lease;
    m_client->leaseKeepAlive(lease, this, [this, lease](const EtcdResponse &r) {
        m_busy = false;
        if (r.error.isError())
            return fail(r.error);
        setUp();
        m_needLeaseCheck = false;
        const QJsonObject result = r.json.value(QLatin1String("result")).toObject();
        if (lease == m_lease && EtcdClient::int64(result.value(QLatin1String("TTL"))) <= 0)
            m_lease = 0; // gone: the next pump grants a new lease and puts everything again
        schedulePump();
    });
}

void EtcdV3Registry::refresh()
{
    if (m_lease == 0)
        return;
    const qint64 lease = m_lease;
    m_client->leaseKeepAlive(lease, this, [this, lease](const EtcdResponse &r) {
        if (r.error.isError())
            return fail(r.error);
        setUp();
        const QJsonObject result = r.json.value(QLatin1String("result")).toObject();
        if (lease == m_lease && EtcdClient::int64(result.value(QLatin1String("TTL"))) <= 0) {
            m_lease = 0;
            m_refreshTimer->stop();
            markAllDirty();
            schedulePump();
        }
    });
}

void EtcdV3Registry::listOwnRecords()
{
    m_busy = true;
    const QString prefix = detailPrefix();
    m_client->rangePrefix(prefix.toUtf8(), this, [this, prefix](const EtcdResponse &r) {
        m_busy = false;
        if (r.error.isError())
            return fail(r.error);
        setUp();
        m_needListing = false;
        QSet<QString> desiredKeys;
        for (const ServiceDefinition &s : std::as_const(m_desired))
            desiredKeys.insert(serviceKey(s));
        for (const EtcdKeyValue &kv : EtcdClient::keyValues(r.json)) {
            const QString id = QString::fromUtf8(kv.key).mid(prefix.size());
            if (m_desired.contains(id) || m_deletes.contains(id))
                continue;
            const QJsonObject record = QJsonDocument::fromJson(kv.value).object();
            QString key = record.value(QLatin1String("key")).toString();
            if (desiredKeys.contains(key))
                key.clear();
            m_deletes.insert(id, {ServiceDefinition(), key, true, ++m_generation});
        }
        schedulePump();
    });
}

void EtcdV3Registry::writeBatch()
{
    struct Ack {
        enum { Host, Put, Delete, Orphan } kind;
        QString id;
        quint64 generation;
    };
    QJsonArray ops;
    QList<Ack> acks;
    QSet<QString> used; // etcd refuses a txn that names one key twice
    const qint64 lease = m_lease;

    if (m_hostGeneration != 0) {
        QJsonObject host{{QStringLiteral("hostname"), m_config.hostname},
                         {QStringLiteral("agentVersion"), Portolan::version()},
                         {QStringLiteral("startedAt"), isoUtc(m_startedAt)}};
        for (auto it = m_hostInfo.constBegin(); it != m_hostInfo.constEnd(); ++it)
            host.insert(it.key(), it.value());
        ops.append(EtcdClient::putOp(hostKey().toUtf8(),
                                     QJsonDocument(host).toJson(QJsonDocument::Compact), lease));
        used.insert(hostKey());
        acks.append({Ack::Host, QString(), m_hostGeneration});
    }
    for (auto it = m_deletes.cbegin(); it != m_deletes.cend() && ops.size() + 2 <= MaxTxnOps;
         ++it) {
        const QString detail = detailKey(it.key());
        const QString key = it->serviceKey;
        if (used.contains(detail) || (!key.isEmpty() && used.contains(key)))
            continue;
        ops.append(EtcdClient::deleteOp(detail.toUtf8()));
        used.insert(detail);
        if (!key.isEmpty()) {
            ops.append(EtcdClient::deleteOp(key.toUtf8()));
            used.insert(key);
        }
        acks.append({Ack::Delete, it.key(), it->generation});
    }
    for (auto it = m_orphanKeys.cbegin(); it != m_orphanKeys.cend() && ops.size() < MaxTxnOps;
         ++it) {
        if (used.contains(it.key()))
            continue;
        ops.append(EtcdClient::deleteOp(it.key().toUtf8()));
        used.insert(it.key());
        acks.append({Ack::Orphan, it.key(), it.value()});
    }
    for (auto it = m_dirty.cbegin(); it != m_dirty.cend() && ops.size() + 2 <= MaxTxnOps; ++it) {
        const ServiceDefinition &s = m_desired[it.key()];
        const QString key = serviceKey(s);
        const QString detail = detailKey(s.id);
        if (used.contains(key) || used.contains(detail))
            continue;
        ops.append(EtcdClient::putOp(key.toUtf8(), serviceValue(s), lease));
        ops.append(EtcdClient::putOp(detail.toUtf8(), detailValue(s), lease));
        used.insert(key);
        used.insert(detail);
        acks.append({Ack::Put, it.key(), it.value()});
    }

    m_busy = true;
    m_client->txn(
        {{QStringLiteral("success"), ops}}, this, [this, acks, lease](const EtcdResponse &r) {
            m_busy = false;
            if (isLeaseGone(r.error)) {
                setUp();
                if (lease == m_lease) {
                    m_lease = 0;
                    m_refreshTimer->stop();
                }
                markAllDirty();
                return schedulePump();
            }
            if (r.error.isError())
                return fail(r.error);
            setUp();
            if (lease != m_lease)
                return schedulePump(); // written on a lease that has since been replaced
            QList<ServiceDefinition> registered, deregistered;
            QStringList stale;
            for (const Ack &a : acks) {
                switch (a.kind) {
                case Ack::Host:
                    if (m_hostGeneration == a.generation)
                        m_hostGeneration = 0;
                    break;
                case Ack::Put:
                    if (m_dirty.value(a.id) == a.generation) {
                        m_dirty.remove(a.id);
                        registered.append(m_desired.value(a.id));
                    }
                    break;
                case Ack::Delete: {
                    const auto d = m_deletes.constFind(a.id);
                    if (d == m_deletes.cend() || d->generation != a.generation)
                        break;
                    if (d->stale)
                        stale << (d->serviceKey.isEmpty() ? detailKey(a.id) : d->serviceKey);
                    else
                        deregistered.append(d->service);
                    m_deletes.erase(d);
                    break;
                }
                case Ack::Orphan:
                    if (m_orphanKeys.value(a.id) == a.generation)
                        m_orphanKeys.remove(a.id);
                    break;
                }
            }
            schedulePump();
            for (const ServiceDefinition &s : std::as_const(deregistered))
                Q_EMIT serviceDeregistered(s);
            for (const QString &k : std::as_const(stale))
                Q_EMIT staleRemoved(k);
            for (const ServiceDefinition &s : std::as_const(registered))
                Q_EMIT serviceRegistered(s);
        });
}
