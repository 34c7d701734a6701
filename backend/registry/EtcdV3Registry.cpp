#include "registry/EtcdV3Registry.h"

#include "core/AgentMetrics.h"

#include <QSet>
#include <QTimer>

namespace {
constexpr int MaxTxnsInFlight = 3; // overlaps etcd's apply and fsync with the next request
} // namespace

EtcdV3Registry::EtcdV3Registry(const RegistryConfig &config, QObject *parent)
    : DeclarativeRegistry(config, clientOptions(config), parent), m_keyspace(config.portolanPrefix)
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

QString EtcdV3Registry::publishedKey(const ServiceDefinition &s) const
{
    return s.keyWithheld ? QString() : serviceKey(s);
}

QString EtcdV3Registry::detailPrefix() const
{
    return m_keyspace.servicesOfHost(m_config.hostname);
}

QString EtcdV3Registry::detailKey(const QString &serviceId) const
{
    return m_keyspace.serviceKey(m_config.hostname, serviceId);
}

QString EtcdV3Registry::hostKey() const
{
    return m_keyspace.hostKey(m_config.hostname);
}

ServiceRecord EtcdV3Registry::detailRecord(const ServiceDefinition &s) const
{
    ServiceRecord r;
    r.key = detailKey(s.id);
    r.id = s.id;
    r.name = s.name;
    r.host = m_config.hostname;
    r.ip = s.ip;
    r.port = s.port;
    r.protocol = s.protocol;
    r.tags = s.tags;
    r.attributes = s.attributes;
    r.containerId = s.containerId;
    r.containerName = s.containerName;
    r.image = s.image;
    r.health = s.health;
    r.registryKey = publishedKey(s); // empty while withheld: no registrator key exists
    r.registeredAt = m_registeredAt.value(s.id, QDateTime::currentDateTimeUtc());
    return r;
}

QByteArray EtcdV3Registry::detailValue(const ServiceDefinition &s) const
{
    return detailRecord(s).toEtcdValue();
}

void EtcdV3Registry::setHostInfo(const QJsonObject &info)
{
    m_hostInfo = info;
    m_hostGeneration = ++m_generation;
    schedulePump();
}

const QByteArray &EtcdV3Registry::cachedDetailValue(const ServiceDefinition &s)
{
    auto it = m_detailCache.find(s.id);
    if (it == m_detailCache.end())
        it = m_detailCache.insert(s.id, detailValue(s));
    return *it;
}

bool EtcdV3Registry::isIdle() const
{
    return !m_busy && m_txnsInFlight == 0 && !hasWrites() && !m_needListing && !m_listingInFlight &&
           !m_listed && !m_gathering && m_lease != 0;
}

bool EtcdV3Registry::hasWrites() const
{
    return !m_dirty.isEmpty() || !m_deletes.isEmpty() || !m_orphanKeys.isEmpty() ||
           m_hostGeneration != 0;
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
    const QString key = publishedKey(service);
    if (old != m_desired.cend()) {
        // Renamed, or withheld by -register-healthy: the key written before goes.
        const QString oldKey = publishedKey(*old);
        if (!oldKey.isEmpty() && oldKey != key)
            m_orphanKeys.insert(oldKey, ++m_generation);
    }
    if (!key.isEmpty())
        m_orphanKeys.remove(key); // put again instead
    if (old == m_desired.cend() || *old != service)
        m_detailCache.remove(service.id);
    desire(service);
    if (!m_registeredAt.contains(service.id))
        m_registeredAt.insert(service.id, QDateTime::currentDateTimeUtc());
    schedulePump();
}

void EtcdV3Registry::deregisterService(const ServiceDefinition &service)
{
    const ServiceDefinition known = undesire(service);
    m_registeredAt.remove(service.id);
    m_detailCache.remove(service.id);
    m_deletes.insert(service.id, {service, publishedKey(known), false, ++m_generation});
    schedulePump();
}

void EtcdV3Registry::beginReconcile()
{
    DeclarativeRegistry::beginReconcile();
    m_flushRequested = false;
    // List now, while Docker is still being asked; the answer is used by reconcile().
    m_needListing = true;
    m_listed.reset();
    ++m_listingGeneration; // a listing still in flight may predate this sync
    m_listingInFlight = false;
    schedulePump();
}

void EtcdV3Registry::flush()
{
    m_flushRequested = true;
    schedulePump();
}

void EtcdV3Registry::reconcile(const QList<ServiceDefinition> &services)
{
    const bool gathered = m_gathering;
    QHash<QString, ServiceDefinition> desired;
    for (const ServiceDefinition &s : services)
        desired.insert(s.id, s);
    QSet<QString> desiredKeys;
    for (const ServiceDefinition &s : services)
        desiredKeys.insert(publishedKey(s));
    // Desired before but not now (gone while Docker was away, or written during this sync and
    // gone since): delete their records even if the listing predates their put.
    for (auto it = m_desired.cbegin(); it != m_desired.cend(); ++it) {
        if (desired.contains(it.key()) || m_deletes.contains(it.key()))
            continue;
        QString key = publishedKey(*it);
        if (desiredKeys.contains(key))
            key.clear();
        m_deletes.insert(it.key(), {ServiceDefinition(), key, true, ++m_generation});
    }
    for (auto it = m_registeredAt.begin(); it != m_registeredAt.end();) {
        if (desired.contains(it.key()))
            ++it;
        else
            it = m_registeredAt.erase(it);
    }
    QHash<QString, quint64> dirty;
    for (const ServiceDefinition &s : services) {
        m_deletes.remove(s.id);
        if (!m_registeredAt.contains(s.id))
            m_registeredAt.insert(s.id, QDateTime::currentDateTimeUtc());
        if (m_desired.value(s.id) != s)
            m_detailCache.remove(s.id);
        if (!isFresh(s))
            dirty.insert(s.id, ++m_generation);
        else if (m_dirty.contains(s.id))
            dirty.insert(s.id, m_dirty.value(s.id)); // put still owed or in flight
    }
    for (auto it = m_detailCache.begin(); it != m_detailCache.end();) {
        if (desired.contains(it.key()))
            ++it;
        else
            it = m_detailCache.erase(it);
    }
    m_desired = desired;
    m_dirty = dirty;
    m_hostGeneration = ++m_generation;
    endReconcile();
    m_flushRequested = false;
    if (gathered)
        applyListing(); // no-op until the listing has answered
    else
        m_needListing = true;
    schedulePump();
}

void EtcdV3Registry::markAllDirty()
{
    DeclarativeRegistry::markAllDirty();
    m_hostGeneration = ++m_generation;
}

void EtcdV3Registry::pump()
{
    if (!m_running || m_retryTimer->isActive())
        return;
    // A read: it may overlap the lease calls and the writes.
    if (m_needListing && !m_listingInFlight)
        listOwnRecords();
    if (m_busy)
        return;
    // The lease calls wait until no txn is in flight: their answers decide which lease to write on.
    if (m_lease == 0 || m_needLeaseCheck) {
        if (m_txnsInFlight == 0)
            m_lease == 0 ? grantLease() : checkLease();
        return;
    }
    while (m_txnsInFlight < MaxTxnsInFlight && writeBatch()) {
    }
    if (isIdle())
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
    // etcd answers a put on a lease it no longer has with gRPC NOT_FOUND (5), "etcdserver:
    // requested lease not found"; a missing key is never an error in etcd.
    constexpr int GrpcNotFound = 5;
    return error.kind == EtcdError::Kind::Rejected && error.grpcCode == GrpcNotFound;
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
        AgentMetrics::instance().leaseGrants.inc();
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
        if (r.error.isError()) {
            AgentMetrics::instance().leaseKeepAliveFailures.inc();
            return fail(r.error);
        }
        setUp();
        const QJsonObject result = r.json.value(QLatin1String("result")).toObject();
        if (lease == m_lease && EtcdClient::int64(result.value(QLatin1String("TTL"))) <= 0) {
            AgentMetrics::instance().leaseKeepAliveFailures.inc();
            m_lease = 0;
            m_refreshTimer->stop();
            markAllDirty();
            schedulePump();
        }
    });
}

void EtcdV3Registry::listOwnRecords()
{
    m_listingInFlight = true;
    m_deletedSinceListing.clear();
    const quint64 generation = ++m_listingGeneration;
    const QString prefix = detailPrefix();
    m_client->rangePrefix(prefix.toUtf8(), this, [this, prefix, generation](const EtcdResponse &r) {
        if (generation != m_listingGeneration)
            return; // a newer sync asked for a newer listing
        m_listingInFlight = false;
        if (r.error.isError())
            return fail(r.error);
        setUp();
        m_needListing = false;
        QHash<QString, QString> listed;
        for (const EtcdKeyValue &kv : EtcdClient::keyValues(r.json)) {
            const ServiceRecord record =
                ServiceRecord::fromEtcdValue(kv.value).value_or(ServiceRecord());
            listed.insert(QString::fromUtf8(kv.key).mid(prefix.size()), record.registryKey);
        }
        m_listed = std::move(listed);
        applyListing();
        schedulePump();
    });
}

void EtcdV3Registry::applyListing()
{
    // While a sync gathers its set, a record may belong to a container not inspected yet.
    if (m_gathering || !m_listed)
        return;
    QSet<QString> desiredKeys;
    for (const ServiceDefinition &s : std::as_const(m_desired))
        desiredKeys.insert(publishedKey(s));
    for (auto it = m_listed->cbegin(); it != m_listed->cend(); ++it) {
        const QString &id = it.key();
        const auto desired = m_desired.constFind(id);
        if (desired != m_desired.cend()) {
            // A record naming a registrator key this agent does not write for it now (an
            // earlier run wrote it before -register-healthy withheld it): that key goes.
            const QString &listedKey = it.value();
            if (!listedKey.isEmpty() && !desiredKeys.contains(listedKey))
                m_orphanKeys.insert(listedKey, ++m_generation);
            continue;
        }
        if (m_deletes.contains(id) || m_deletedSinceListing.contains(id))
            continue;
        QString key = it.value();
        if (desiredKeys.contains(key))
            key.clear();
        m_deletes.insert(id, {ServiceDefinition(), key, true, ++m_generation});
    }
    m_listed.reset();
    m_deletedSinceListing.clear();
}
