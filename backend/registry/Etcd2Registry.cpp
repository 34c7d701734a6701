#include "registry/Etcd2Registry.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTimer>
#include <QUrl>

namespace {
constexpr int MaxInFlight = 6; // QNetworkAccessManager's connections per host
constexpr int MinBackoffMs = 100;
constexpr int MaxBackoffMs = 500;

EtcdClientOptions clientOptions(const RegistryConfig &c)
{
    EtcdClientOptions o;
    o.endpoints = c.endpoints;
    o.requestTimeoutMs = c.requestTimeoutMs;
    o.caFile = c.caFile;
    o.certFile = c.certFile;
    o.keyFile = c.keyFile;
    return o; // v2 has its own auth scheme; not supported here
}

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
    : Registry(parent), m_config(config), m_client(new EtcdClient(clientOptions(config), this)),
      m_refreshTimer(new QTimer(this)), m_retryTimer(new QTimer(this))
{
    while (m_config.prefix.size() > 1 && m_config.prefix.endsWith(QLatin1Char('/')))
        m_config.prefix.chop(1);
    const int refreshMs = m_config.refreshSeconds > 0 ? m_config.refreshSeconds * 1000
                                                      : qMax(500, m_config.ttlSeconds * 1000 / 3);
    m_refreshTimer->setInterval(refreshMs);
    connect(m_refreshTimer, &QTimer::timeout, this, [this] {
        // Re-putting value and TTL both refreshes and heals keys deleted behind our back.
        for (auto it = m_desired.cbegin(); it != m_desired.cend(); ++it)
            m_dirty.insert(it.key(), ++m_generation);
        schedulePump();
    });
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, &Etcd2Registry::pump);
}

Etcd2Registry::~Etcd2Registry() = default;

QString Etcd2Registry::describe() const
{
    QStringList where;
    for (const QString &e : m_config.endpoints)
        where << EtcdClient::displayName(e);
    return QStringLiteral("etcd v2 at %1 prefix %2")
        .arg(where.join(QLatin1Char(',')), m_config.prefix);
}

QString Etcd2Registry::serviceKey(const ServiceDefinition &s) const
{
    return m_config.prefix + QLatin1Char('/') + s.name + QLatin1Char('/') + s.id;
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

void Etcd2Registry::stop()
{
    m_running = false;
    m_refreshTimer->stop();
    m_retryTimer->stop();
}

void Etcd2Registry::registerService(const ServiceDefinition &service)
{
    const auto old = m_desired.constFind(service.id);
    if (old != m_desired.cend() && serviceKey(*old) != serviceKey(service))
        m_deletes.insert(serviceKey(*old), {ServiceDefinition(), true, ++m_generation});
    m_deletes.remove(serviceKey(service));
    m_desired.insert(service.id, service);
    m_dirty.insert(service.id, ++m_generation);
    schedulePump();
}

void Etcd2Registry::deregisterService(const ServiceDefinition &service)
{
    const ServiceDefinition known = m_desired.value(service.id, service);
    m_desired.remove(service.id);
    m_dirty.remove(service.id);
    m_deletes.insert(serviceKey(known), {service, false, ++m_generation});
    schedulePump();
}

void Etcd2Registry::reconcile(const QList<ServiceDefinition> &services)
{
    m_desired.clear();
    for (const ServiceDefinition &s : services) {
        m_desired.insert(s.id, s);
        m_deletes.remove(serviceKey(s));
    }
    m_needListing = true;
    markAllDirty();
    schedulePump();
}

void Etcd2Registry::markAllDirty()
{
    m_dirty.clear();
    for (auto it = m_desired.cbegin(); it != m_desired.cend(); ++it)
        m_dirty.insert(it.key(), ++m_generation);
}

void Etcd2Registry::schedulePump()
{
    if (m_pumpScheduled || !m_running)
        return;
    m_pumpScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_pumpScheduled = false;
        pump();
    });
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

void Etcd2Registry::setUp()
{
    m_backoffMs = MinBackoffMs;
    if (m_state == State::Up)
        return;
    m_state = State::Up;
    Q_EMIT connectionChanged(true, QString());
}

void Etcd2Registry::fail(const EtcdError &error)
{
    if (m_state != State::Down) {
        m_state = State::Down;
        Q_EMIT connectionChanged(false, error.message);
    }
    markAllDirty(); // keys may have expired meanwhile
    if (m_running && !m_retryTimer->isActive()) {
        m_retryTimer->start(m_backoffMs);
        m_backoffMs = qMin(m_backoffMs * 2, MaxBackoffMs);
    }
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
        setUp();
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
        setUp();
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
        setUp();
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
