#include "agent/Agent.h"

#include "agent/AgentFeed.h"
#include "agent/AgentOps.h"
#include "agent/AgentSetup.h"
#include "agent/RegistrationBridge.h"
#include "core/Log.h"
#include "core/LogCategories.h"
#include "core/ResidentPages.h"
#include "core/ServiceNotifier.h"
#include "core/UnixSignalWatcher.h"
#include "core/Version.h"
#include "docker/DockerContainerSource.h"
#include "docker/OwnContainer.h"
#include "registry/RegistryFactory.h"

#include <QCoreApplication>
#include <csignal>
#include <malloc.h>

Agent::Agent(AgentOptions options, QObject *parent) : QObject(parent), m_options(std::move(options))
{
}

Agent::~Agent()
{
    // The feed reads through the registry's etcd client: it must go first.
    if (m_bridge)
        m_bridge->stop();
    m_feed.reset();
    m_registry.reset();
    m_bridge.reset();
}

bool Agent::start(QString *usageError)
{
    *usageError = configure();
    if (!usageError->isEmpty())
        return false;
    Log::install();
    qInfo().noquote() << "Starting portolan" << Portolan::version() << "...";
    logHostIp();

    DeclarativeRegistry *registry = createRegistry(m_registryConfig);
    m_registry.reset(registry);
    trimMemoryAfterSyncs(registry);
    qInfo().noquote()
        << QStringLiteral("Using %1 as host %2").arg(m_registry->describe(), m_hostname);
    qInfo().noquote() << "Using Docker at" << m_endpoint.describe();
    if (!m_serviceOptions.ownContainerId.isEmpty())
        qInfo().noquote() << QStringLiteral(
                                 "Running in container %1: its own ports are not registered "
                                 "unless it has a SERVICE_NAME or SERVICE_<port>_NAME label or env")
                                 .arg(m_serviceOptions.ownContainerId.left(12));
    m_hostInfo.insert(QStringLiteral("address"), !m_options.hostIp.isEmpty()
                                                     ? m_options.hostIp
                                                     : m_serviceOptions.resolvedHostIp);
    if (!m_options.feed.isEmpty()) {
        *usageError = startFeed();
        if (!usageError->isEmpty() || !m_feed)
            return false;
    }
    if (!m_options.metrics.isEmpty()) {
        if (const QString error = AgentOps::serveMetrics(m_options, this); !error.isEmpty()) {
            qCritical().noquote() << error;
            return false;
        }
    }
    m_registry->setHostInfo(m_hostInfo);

    watchDocker();
    giveUpWithoutRegistry();
    notifySystemdWhenSynced(registry);
    stopOnSignals();
    m_registry->start();
    m_bridge->start();
    return true;
}

// What needs the system: DOCKER_HOST, the host name, the registry URL and -tags.
QString Agent::configure()
{
    QString error;
    if (!DockerEndpoint::fromEnvironment(&m_endpoint, &error))
        return error;
    const AgentOptions &o = m_options;
    m_hostname = o.hostname.isEmpty() ? AgentSetup::systemHostname() : o.hostname;
    if (const QString bad = AgentOptions::hostnameError(m_hostname); !bad.isEmpty())
        return QStringLiteral("the OS host name: %1; give -hostname").arg(bad);
    if (!AgentSetup::registryConfig(o, m_hostname, &m_registryConfig, &error))
        return error;
    if (!o.tags.isEmpty()) {
        m_tags = TagTemplate::compile(o.tags, &error);
        if (!error.isEmpty())
            return QStringLiteral("-tags: %1").arg(error);
    }
    m_serviceOptions.hostname = m_hostname;
    m_serviceOptions.hostIp = o.hostIp;
    m_serviceOptions.internal = o.internal;
    m_serviceOptions.explicitOnly = o.explicitOnly;
    m_serviceOptions.registerHealthyOnly = o.registerHealthy;
    m_serviceOptions.useIpFromLabel = o.useIpFromLabel;
    m_serviceOptions.tags = m_tags ? &*m_tags : nullptr;
    m_serviceOptions.ownContainerId = OwnContainer::detect();
    return QString();
}

void Agent::logHostIp()
{
    if (!m_options.hostIp.isEmpty()) {
        qInfo().noquote() << "Forcing host IP to" << m_options.hostIp;
        return;
    }
    m_serviceOptions.resolvedHostIp = AgentSetup::resolveHostIp(AgentSetup::systemHostname());
    qInfo().noquote() << "Host IP for ports bound to all addresses:"
                      << (m_serviceOptions.resolvedHostIp.isEmpty()
                              ? QStringLiteral("unknown (set -ip)")
                              : m_serviceOptions.resolvedHostIp);
}

// -feed: returns a usage error; leaves m_feed empty when the feed cannot listen (logged).
QString Agent::startFeed()
{
    if (!m_registry->client())
        return QStringLiteral("-feed needs an etcd v3 registry (etcd://, etcds:// or skydns2://)");
    const AgentOptions &o = m_options;
    auto feed = std::make_unique<AgentFeed>(
        m_registry->client(),
        AgentFeed::Settings{o.feed, o.feedTokenFile, o.feedCertFile, o.feedKeyFile, m_hostname,
                            m_registryConfig.portolanPrefix, m_registryConfig.prefix,
                            o.feedAllowedHosts.isEmpty()
                                ? QStringList()
                                : o.feedAllowedHosts.split(QLatin1Char(','))});
    const QString feedError = feed->start();
    if (!feedError.isEmpty()) {
        qCCritical(lcFeed).noquote() << feedError;
        return QString();
    }
    m_feed = std::move(feed);
    QString url = m_feed->url();
    const QString address = m_hostInfo.value(QStringLiteral("address")).toString();
    if (!address.isEmpty())
        url.replace(QLatin1String("://0.0.0.0:"), QStringLiteral("://%1:").arg(address));
    m_hostInfo.insert(QStringLiteral("feedUrl"), url);
    qInfo().noquote() << "Browser view and live feed at" << url;
    return QString();
}

void Agent::watchDocker()
{
    m_docker = std::make_unique<DockerContainerSource>(m_endpoint);
    if (m_registry->client()) { // only etcd v3 keeps a host record
        m_docker->daemonVersion(this, [this](const QString &version) {
            m_hostInfo.insert(QStringLiteral("dockerVersion"), version);
            m_registry->setHostInfo(m_hostInfo);
        });
    }
    RegistrationBridge::Settings settings;
    settings.deregisterOnSuccessOnly = m_options.deregister == QLatin1String("on-success");
    settings.resyncSeconds = m_options.resync;
    m_bridge = std::make_unique<RegistrationBridge>(m_docker.get(), m_registry.get(),
                                                    ServiceBuilder(m_serviceOptions), settings);
    Registry *registry = m_registry.get();
    connect(registry, &Registry::connectionChanged, this,
            [registry](bool connected, const QString &why) {
                if (connected)
                    qInfo().noquote() << "Connected to" << registry->describe();
                else
                    qWarning().noquote() << why + QStringLiteral("; retrying");
            });
    connect(registry, &Registry::staleRemoved, this,
            [](const QString &key) { qInfo().noquote() << "dangling:" << key << "removed"; });
    connect(m_bridge.get(), &RegistrationBridge::synced, this, [this] { m_trimWhenIdle = true; });
}

// A sync frees its inspect documents and txn bodies once etcd has acknowledged the writes, but
// glibc keeps the freed pages (in the main arena and in Qt's HTTP thread's arena): about 2 KiB
// per service. Hand them back once the writes of a sync are done (m_trimWhenIdle: see synced),
// and with them the library pages only start-up and the sync touched (ResidentPages).
void Agent::trimMemoryAfterSyncs(DeclarativeRegistry *registry)
{
    connect(registry, &DeclarativeRegistry::idle, this, [this] {
        if (!std::exchange(m_trimWhenIdle, false))
            return;
        ResidentPages::releaseStartupPages(); // first: the trim returns its buffers too
        malloc_trim(0);
    });
}

// -retry-attempts N (N >= 0): like registrator, give up at start if the registry stays away.
void Agent::giveUpWithoutRegistry()
{
    if (m_options.retryAttempts < 0)
        return;
    m_giveUp.setSingleShot(true);
    connect(&m_giveUp, &QTimer::timeout, this, [this] {
        if (!m_registry->isConnected()) {
            qCritical().noquote() << m_registry->describe() << "unreachable after"
                                  << m_options.retryAttempts + 1 << "attempts; exiting";
            QCoreApplication::exit(1);
        }
    });
    m_giveUp.start((m_options.retryAttempts + 1) * m_options.retryInterval);
}

void Agent::stopOnSignals()
{
    m_signals = std::make_unique<UnixSignalWatcher>();
    m_signals->watch(SIGTERM);
    m_signals->watch(SIGINT);
    connect(m_signals.get(), &UnixSignalWatcher::received, this, [this](int number) {
        qInfo().noquote() << (number == SIGTERM ? "SIGTERM" : "SIGINT")
                          << QStringLiteral("received: stopping without deregistering; services "
                                            "stay until the lease expires (%1 s) unless an agent "
                                            "starts again")
                                 .arg(m_options.ttl);
        m_notifier->stopping();
        m_bridge->stop();
        m_registry->stop();
        QCoreApplication::quit();
    });
}

// Type=notify: READY=1 once Docker's containers have been listed AND etcd has acknowledged the
// writes of that sync, so `systemctl start` returns with this host's services in etcd.
void Agent::notifySystemdWhenSynced(DeclarativeRegistry *registry)
{
    m_notifier = std::make_unique<ServiceNotifier>();
    if (!m_notifier->isEnabled())
        return;
    connect(m_bridge.get(), &RegistrationBridge::synced, this, [this](int containers) {
        m_dockerSynced = true;
        m_readyStatus = QStringLiteral("Synced %1 running containers with %2")
                            .arg(containers)
                            .arg(m_registry->describe());
    });
    connect(registry, &DeclarativeRegistry::idle, this, [this, registry] {
        if (!m_dockerSynced || !registry->isConnected() || m_notifiedReady)
            return;
        m_notifiedReady = true;
        m_notifier->ready(m_readyStatus);
    });
}
