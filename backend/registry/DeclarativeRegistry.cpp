#include "registry/DeclarativeRegistry.h"

#include <QTimer>

namespace {
constexpr int MinBackoffMs = 100;
constexpr int MaxBackoffMs = 500; // recovery is seen within ~1 s of etcd coming back
// etcd answered and refused (permissions, auth, TLS): asking again soon only loads etcd, and a
// person has to fix the cause first.
constexpr int RefusedRetryMs = 5000;

bool isRefusal(const EtcdError &error)
{
    using K = EtcdError::Kind;
    return error.kind == K::Rejected || error.kind == K::Auth || error.kind == K::Tls ||
           error.kind == K::Config;
}
} // namespace

DeclarativeRegistry::DeclarativeRegistry(const RegistryConfig &config,
                                         const EtcdClientOptions &clientOptions, QObject *parent)
    : Registry(parent), m_config(config), m_client(new EtcdClient(clientOptions, this)),
      m_refreshTimer(new QTimer(this)), m_retryTimer(new QTimer(this)), m_backoffMs(MinBackoffMs)
{
    while (m_config.prefix.size() > 1 && m_config.prefix.endsWith(QLatin1Char('/')))
        m_config.prefix.chop(1);
    const int refreshMs = m_config.refreshSeconds > 0 ? m_config.refreshSeconds * 1000
                                                      : qMax(500, m_config.ttlSeconds * 1000 / 3);
    m_refreshTimer->setInterval(refreshMs);
    connect(m_refreshTimer, &QTimer::timeout, this, [this] { refresh(); });
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, [this] { pump(); });
}

DeclarativeRegistry::~DeclarativeRegistry() = default;

EtcdClientOptions DeclarativeRegistry::clientOptions(const RegistryConfig &c)
{
    return c.etcdClientOptions();
}

QString DeclarativeRegistry::endpointNames() const
{
    QStringList where;
    for (const QString &e : m_config.endpoints)
        where << EtcdClient::displayName(e);
    return where.join(QLatin1Char(','));
}

QString DeclarativeRegistry::registratorKey(const ServiceDefinition &s) const
{
    return m_config.prefix + QLatin1Char('/') + s.name + QLatin1Char('/') + s.id;
}

void DeclarativeRegistry::desire(const ServiceDefinition &service)
{
    m_desired.insert(service.id, service);
    m_dirty.insert(service.id, ++m_generation);
    if (m_gathering)
        m_freshIds.insert(service.id);
}

ServiceDefinition DeclarativeRegistry::undesire(const ServiceDefinition &service)
{
    const ServiceDefinition known = m_desired.value(service.id, service);
    m_desired.remove(service.id);
    m_dirty.remove(service.id);
    m_freshIds.remove(service.id);
    return known;
}

void DeclarativeRegistry::beginReconcile()
{
    m_gathering = true;
    m_freshIds.clear();
}

bool DeclarativeRegistry::isFresh(const ServiceDefinition &service) const
{
    if (!m_gathering || !m_freshIds.contains(service.id))
        return false;
    const auto it = m_desired.constFind(service.id);
    return it != m_desired.cend() && *it == service;
}

void DeclarativeRegistry::endReconcile()
{
    m_gathering = false;
    m_freshIds.clear();
}

void DeclarativeRegistry::stop()
{
    m_running = false;
    m_refreshTimer->stop();
    m_retryTimer->stop();
}

void DeclarativeRegistry::markAllDirty()
{
    m_dirty.clear();
    for (auto it = m_desired.cbegin(); it != m_desired.cend(); ++it)
        m_dirty.insert(it.key(), ++m_generation);
}

void DeclarativeRegistry::prepareRecovery()
{
    markAllDirty();
}

void DeclarativeRegistry::schedulePump()
{
    if (m_pumpScheduled || !m_running)
        return;
    m_pumpScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_pumpScheduled = false;
        pump();
    });
}

void DeclarativeRegistry::sendNow()
{
    if (m_running && !m_gathering)
        pump(); // a pump still scheduled finds nothing left to send
}

void DeclarativeRegistry::setUp()
{
    // A lease call can succeed while every write is refused: that is not "connected" yet, and
    // flipping state here would log the refusal again on every retry.
    if (m_refused)
        return;
    m_backoffMs = MinBackoffMs;
    if (m_state == State::Up)
        return;
    m_state = State::Up;
    Q_EMIT connectionChanged(true, QString());
}

void DeclarativeRegistry::setWritten()
{
    m_refused = false;
    setUp();
}

void DeclarativeRegistry::fail(const EtcdError &error)
{
    const bool refused = isRefusal(error);
    if (refused)
        m_refused = true;
    if (m_state != State::Down) {
        m_state = State::Down;
        Q_EMIT connectionChanged(false, error.message);
    }
    prepareRecovery();
    if (m_running && !m_retryTimer->isActive()) {
        m_retryTimer->start(refused ? qMax(m_backoffMs, RefusedRetryMs) : m_backoffMs);
        m_backoffMs = qMin(m_backoffMs * 2, MaxBackoffMs);
    }
}
