#include "registry/Etcd2Registry.h"

#include "etcd/EtcdConnectionPool.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTimer>
#include <QUrl>

namespace {
// One request per keep-alive connection: more in flight would only queue in the pool.
constexpr int MaxInFlight = EtcdConnectionPool::MaxConnections;

bool isKeyNotFound(const EtcdResponse &r)
{
    return r.httpStatus == 404 && r.json.value(QLatin1String("errorCode")).toInt() == 100;
}

void collectLeaves(const QJsonObject &node, QStringList *out)
{
    if (!node.value(QLatin1String("dir")).toBool()) {
        out->append(node.value(QLatin1String("key")).toString());
        return;
    }
    const QJsonArray children = node.value(QLatin1String("nodes")).toArray();
    for (const QJsonValue &c : children)
        collectLeaves(c.toObject(), out);
}
} // namespace

Etcd2Registry::Etcd2Registry(const RegistryConfig &config, QObject *parent)
    : DeclarativeRegistry(config, clientOptions(config), parent)
{
}

Etcd2Registry::~Etcd2Registry() = default;

QString Etcd2Registry::describe() const
{
    return QStringLiteral("etcd v2 at %1 prefix %2").arg(endpointNames(), m_config.prefix);
}

QString Etcd2Registry::serviceKey(const ServiceDefinition &s) const
{
    return registratorKey(s);
}

QString Etcd2Registry::keysPath(const QString &key)
{
    QStringList parts;
    const QStringList segments = key.split(QLatin1Char('/'));
    for (const QString &s : segments)
        parts << QString::fromLatin1(QUrl::toPercentEncoding(s));
    QString path = parts.join(QLatin1Char('/'));
    if (!path.startsWith(QLatin1Char('/')))
        path.prepend(QLatin1Char('/'));
    return QStringLiteral("/v2/keys") + path;
}

bool Etcd2Registry::isOwnId(const QString &id, const QString &hostname)
{
    static const QRegularExpression re(
        QStringLiteral("^(.+?):([a-zA-Z0-9][a-zA-Z0-9_.-]+):[0-9]+(?::udp)?$"));
    const auto m = re.match(id);
    return m.hasMatch() && m.captured(1) == hostname;
}

bool Etcd2Registry::isIdle() const
{
    return m_inFlight.isEmpty() && !m_listing && !m_needListing && m_dirty.isEmpty() &&
           m_deletes.isEmpty();
}

void Etcd2Registry::start()
{
    if (m_running)
        return;
    m_running = true;
    m_refreshTimer->start();
    markAllDirty();
    schedulePump();
}

void Etcd2Registry::refresh()
{
    // Re-putting value and TTL both refreshes and heals keys deleted behind our back.
    for (auto it = m_desired.cbegin(); it != m_desired.cend(); ++it)
        m_dirty.insert(it.key(), ++m_generation);
    schedulePump();
}

void Etcd2Registry::registerService(const ServiceDefinition &service)
{
    // -register-healthy: v2 keeps no detail record, so a withheld service has nothing in etcd.
    if (service.keyWithheld) {
        if (m_desired.contains(service.id))
            deregisterService(service);
        return;
    }
    const auto old = m_desired.constFind(service.id);
    if (old != m_desired.cend() && serviceKey(*old) != serviceKey(service))
        m_deletes.insert(serviceKey(*old), {ServiceDefinition(), true, ++m_generation});
    m_deletes.remove(serviceKey(service));
    desire(service);
    schedulePump();
}

void Etcd2Registry::deregisterService(const ServiceDefinition &service)
{
    const ServiceDefinition known = undesire(service);
    m_deletes.insert(serviceKey(known), {service, false, ++m_generation});
    schedulePump();
}

void Etcd2Registry::reconcile(const QList<ServiceDefinition> &services)
{
    QHash<QString, ServiceDefinition> desired;
    QHash<QString, quint64> dirty;
    for (const ServiceDefinition &s : services) {
        if (s.keyWithheld)
            continue; // listed as not desired: its key is deleted if an earlier run wrote it
        desired.insert(s.id, s);
        m_deletes.remove(serviceKey(s));
        // Registered unchanged during the sync: already put, or its put is still owed.
        if (!isFresh(s))
            dirty.insert(s.id, ++m_generation);
        else if (m_dirty.contains(s.id))
            dirty.insert(s.id, m_dirty.value(s.id));
    }
    m_desired = desired;
    m_dirty = dirty;
    endReconcile();
    m_needListing = true;
    schedulePump();
}

void Etcd2Registry::pump()
{
    if (!m_running || m_retryTimer->isActive() || m_listing)
        return;
    if (m_needListing) {
        if (m_inFlight.isEmpty())
            list();
        return;
    }
    for (auto it = m_deletes.cbegin(); it != m_deletes.cend() && m_inFlight.size() < MaxInFlight;
         ++it) {
        if (!m_inFlight.contains(it.key()))
            remove(it.key());
    }
    for (auto it = m_dirty.cbegin(); it != m_dirty.cend() && m_inFlight.size() < MaxInFlight;
         ++it) {
        if (!m_inFlight.contains(serviceKey(m_desired.value(it.key()))))
            put(it.key());
    }
    if (isIdle())
        Q_EMIT idle();
}

void Etcd2Registry::list()
{
    m_listing = true;
    EtcdRequest req;
    req.method = "GET";
    req.path = keysPath(m_config.prefix) + QStringLiteral("?recursive=true");
    req.v3Auth = false;
    m_client->send(req, this, [this](const EtcdResponse &r) {
        m_listing = false;
        if (r.error.isError() && !isKeyNotFound(r))
            return fail(r.error);
        setWritten();
        m_needListing = false;
        QStringList leaves;
        if (!r.error.isError())
            collectLeaves(r.json.value(QLatin1String("node")).toObject(), &leaves);
        for (const QString &key : std::as_const(leaves)) {
            const QString id = key.section(QLatin1Char('/'), -1);
            if (!isOwnId(id, m_config.hostname) || m_desired.contains(id) ||
                m_deletes.contains(key))
                continue;
            m_deletes.insert(key, {ServiceDefinition(), true, ++m_generation});
        }
        schedulePump();
    });
}

void Etcd2Registry::put(const QString &id)
{
    const ServiceDefinition s = m_desired.value(id);
    const QString key = serviceKey(s);
    const quint64 generation = m_dirty.value(id);
    EtcdRequest req;
    req.method = "PUT";
    req.path = keysPath(key);
    req.contentType = "application/x-www-form-urlencoded";
    req.body = "value=" + QUrl::toPercentEncoding(s.address()) +
               "&ttl=" + QByteArray::number(m_config.ttlSeconds);
    req.v3Auth = false;
    m_inFlight.insert(key);
    m_client->send(req, this, [this, id, key, generation](const EtcdResponse &r) {
        m_inFlight.remove(key);
        if (r.error.isError())
            return fail(r.error);
        setWritten();
        const bool acked = m_dirty.value(id) == generation;
        if (acked)
            m_dirty.remove(id);
        schedulePump();
        if (acked)
            Q_EMIT serviceRegistered(m_desired.value(id));
    });
}

void Etcd2Registry::remove(const QString &key)
{
    const quint64 generation = m_deletes.value(key).generation;
    EtcdRequest req;
    req.method = "DELETE";
    req.path = keysPath(key);
    req.v3Auth = false;
    m_inFlight.insert(key);
    m_client->send(req, this, [this, key, generation](const EtcdResponse &r) {
        m_inFlight.remove(key);
        if (r.error.isError() && !isKeyNotFound(r))
            return fail(r.error);
        setWritten();
        const auto d = m_deletes.constFind(key);
        if (d == m_deletes.cend() || d->generation != generation)
            return schedulePump();
        const PendingDelete done = *d;
        m_deletes.erase(d);
        schedulePump();
        if (done.stale)
            Q_EMIT staleRemoved(key);
        else
            Q_EMIT serviceDeregistered(done.service);
    });
}
