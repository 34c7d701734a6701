#include "balancer/LoadBalancer.h"

#include "balancer/BalancerRecordPublisher.h"
#include "cluster/ClusterState.h"
#include "cluster/EtcdClusterSource.h"
#include "core/LogCategories.h"
#include "core/UnixSignalWatcher.h"
#include "core/Version.h"
#include "etcd/EtcdClient.h"
#include "feed/MetricsServer.h"
#include "registry/RegistryConfig.h"

#include <QCoreApplication>
#include <QHostInfo>
#include <QTimer>
#include <csignal>

LoadBalancer::LoadBalancer(LbOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
}

LoadBalancer::~LoadBalancer() = default;

bool LoadBalancer::start(QString *error)
{
    RegistryConfig config;
    // The agents' URI names their registrator prefix; portolan-lb reads only the records under
    // -portolan-prefix, so the path may be left out.
    QString uri = m_options.registryUri;
    const int scheme = uri.indexOf(QLatin1String("://"));
    if (scheme > 0 && uri.indexOf(QLatin1Char('/'), scheme + 3) < 0)
        uri += QLatin1String("/services");
    if (!RegistryConfig::parseUri(uri, &config, error))
        return false;
    if (config.backend != RegistryConfig::Backend::EtcdV3) {
        *error = QStringLiteral("portolan-lb reads etcd v3: give etcd://HOST:PORT or "
                                "etcds://HOST:PORT, not \"%1\"")
                     .arg(config.uri);
        return false;
    }
    if (!config.applyEtcdAccess({m_options.etcdCaFile, m_options.etcdCertFile,
                                 m_options.etcdKeyFile, m_options.etcdUser,
                                 m_options.etcdPasswordFile},
                                error))
        return false;
    m_hostname = QHostInfo::localHostName();
    if (m_options.name.isEmpty())
        m_options.name = m_hostname;
    if (m_options.name.contains(QLatin1Char('/')) || m_options.name.trimmed().isEmpty()) {
        *error =
            QStringLiteral("-name \"%1\" must be a non-empty name without '/'").arg(m_options.name);
        return false;
    }
    QString prefix = m_options.portolanPrefix;
    while (prefix.size() > 1 && prefix.endsWith(QLatin1Char('/')))
        prefix.chop(1);

    m_driver = createBalancerDriver(m_options);
    const QString driverError = m_driver->prepare();
    if (!driverError.isEmpty()) {
        *error = driverError;
        return false;
    }

    m_client = new EtcdClient(config.etcdClientOptions(), this);
    m_state = new ClusterState(prefix, this);
    m_source = new EtcdClusterSource(m_client, m_state, this);
    m_controller = new BalancerController(
        m_state, m_driver.get(),
        BalancerPlanner({m_options.routeNames, m_options.routeTags, m_options.tcpNames}),
        {m_options.quietMs, m_options.reloadQuietMs, m_options.maxDelayMs,
         m_options.reloadIntervalMs, m_options.verifySeconds * 1000},
        this);
    m_publisher = new BalancerRecordPublisher(
        m_client, m_state->keyspace().balancerKey(m_options.name).toUtf8(), m_options.ttl, this);
    m_startedAt = QDateTime::currentDateTimeUtc();
    connect(m_controller, &BalancerController::appliedChanged, this, &LoadBalancer::publishRecord);
    connect(m_state, &ClusterState::statusChanged, this, [this] {
        const bool ready = m_state->status() == ClusterState::Status::Ready;
        if (ready)
            qCInfo(lcBalancer, "etcd: watching %s", qPrintable(m_source->watchedPrefix()));
        else if (m_etcdWasReady) // once per outage, however often the source retries
            qCWarning(lcBalancer, "%s; %s keeps every server until etcd answers again",
                      qPrintable(m_state->errorString()), qPrintable(m_driver->kind()));
        m_etcdWasReady = ready;
    });

    if (!m_options.metrics.isEmpty()) {
        MetricsServerOptions mo;
        const int colon = m_options.metrics.lastIndexOf(QLatin1Char(':'));
        mo.address =
            m_options.metrics.left(colon).remove(QLatin1Char('[')).remove(QLatin1Char(']'));
        mo.port = quint16(m_options.metrics.mid(colon + 1).toUInt());
        OpsEndpoints endpoints{[this] { return metricsText(); },
                               [this] { return notReadyReason(); }};
        m_metrics = new MetricsServer(endpoints, mo, this);
        const QString listenError = m_metrics->listen();
        if (!listenError.isEmpty()) {
            *error = QStringLiteral("-metrics: %1").arg(listenError);
            return false;
        }
    }

    m_signals = new UnixSignalWatcher(this);
    m_signals->watch(SIGTERM);
    m_signals->watch(SIGINT);
    connect(m_signals, &UnixSignalWatcher::received, this, &LoadBalancer::stop);

    qCInfo(lcBalancer, "portolan-lb %s driving %s %s as \"%s\"; routing %s",
           qPrintable(Portolan::version()), qPrintable(m_driver->kind()),
           qPrintable(m_driver->version()), qPrintable(m_options.name),
           qPrintable((m_options.routeNames +
                       [this] {
                           QStringList t;
                           for (const QString &tag : m_options.routeTags)
                               t << QStringLiteral("tag:") + tag;
                           return t;
                       }())
                          .join(QLatin1String(", "))));
    m_controller->start();
    m_source->start();
    publishRecord();
    return true;
}

void LoadBalancer::publishRecord()
{
    const BalancerController::Stats &st = m_controller->stats();
    BalancerRecord r;
    r.name = m_options.name;
    r.host = m_hostname;
    r.driver = m_driver->kind();
    r.driverVersion = m_driver->version();
    r.version = Portolan::version();
    r.startedAt = m_startedAt;
    r.lastApplyAt = st.lastApplyAt;
    r.lastApplyMethod = st.lastMethod;
    r.lastError = st.lastError;
    r.lastErrorAt = st.lastError.isEmpty() ? QDateTime() : st.lastErrorAt;
    for (const PlannedBackend &b : m_controller->applied().backends)
        r.routes.append({b.service, b.name, b.registered, int(b.servers.size())});
    m_publisher->publish(r);
}

void LoadBalancer::stop(int signalNumber)
{
    if (m_stopping)
        return;
    m_stopping = true;
    qCInfo(lcBalancer,
           "signal %d: withdrawing the balancer record and exiting; %s keeps its "
           "servers",
           signalNumber, qPrintable(m_driver->kind()));
    QTimer::singleShot(2000, qApp, [] { QCoreApplication::exit(0); });
    m_publisher->withdraw([] { QCoreApplication::exit(0); });
}

QString LoadBalancer::notReadyReason() const
{
    if (m_state->status() != ClusterState::Status::Ready)
        return QStringLiteral("etcd: %1")
            .arg(m_state->errorString().isEmpty() ? QStringLiteral("not connected yet")
                                                  : m_state->errorString());
    if (!m_controller->hasApplied())
        return m_controller->stats().lastError.isEmpty()
                   ? QStringLiteral("the first plan is not applied yet")
                   : m_controller->stats().lastError;
    return {};
}
