// portolan: the host agent. Watches this host's Docker daemon and registers every published
// port in etcd, with registrator's command line, naming rules and key layout.
#include "agent/AgentFeed.h"
#include "agent/AgentOptions.h"
#include "agent/AgentSetup.h"
#include "agent/RegistrationBridge.h"
#include "core/Log.h"
#include "core/UnixSignalWatcher.h"
#include "core/Version.h"
#include "docker/DockerClient.h"
#include "docker/DockerEventStream.h"
#include "registry/DeclarativeRegistry.h"
#include "registry/EtcdV3Registry.h"
#include "registry/Registry.h"
#include "registry/RegistryFactory.h"
#include "service/ServiceBuilder.h"
#include "service/TagTemplate.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>
#include <csignal>
#include <malloc.h>
#include <optional>
#include <utility>

namespace {
int usageError(const QString &message)
{
    QTextStream(stderr) << "portolan: " << message << " (see 'portolan -help')\n";
    return 2;
}
} // namespace

int main(int argc, char **argv)
{
    // Qt's own UNIX event dispatcher instead of glib's: the agent runs no glib main loop, and
    // glib's dispatcher costs ~0.5 MiB of resident code and more work per loop iteration.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("portolan"));
    QCoreApplication::setApplicationVersion(Portolan::version());

    const AgentArguments args = AgentArguments::parse(app.arguments().mid(1));
    switch (args.outcome) {
    case AgentArguments::Outcome::Help:
        QTextStream(stdout) << AgentArguments::usage();
        return 0;
    case AgentArguments::Outcome::Version:
        QTextStream(stdout) << "portolan " << Portolan::version() << "\n";
        return 0;
    case AgentArguments::Outcome::Error:
        return usageError(args.error);
    case AgentArguments::Outcome::Run:
        break;
    }
    const AgentOptions &o = args.options;

    QString error;
    DockerEndpoint endpoint;
    if (!DockerEndpoint::fromEnvironment(&endpoint, &error))
        return usageError(error);
    const QString hostname = o.hostname.isEmpty() ? AgentSetup::systemHostname() : o.hostname;
    if (const QString bad = AgentOptions::hostnameError(hostname); !bad.isEmpty())
        return usageError(QStringLiteral("the OS host name: %1; give -hostname").arg(bad));
    RegistryConfig registryConfig;
    if (!AgentSetup::registryConfig(o, hostname, &registryConfig, &error))
        return usageError(error);
    std::optional<TagTemplate> tags;
    if (!o.tags.isEmpty()) {
        tags = TagTemplate::compile(o.tags, &error);
        if (!error.isEmpty())
            return usageError(QStringLiteral("-tags: %1").arg(error));
    }

    Log::install();
    qInfo().noquote() << "Starting portolan" << Portolan::version() << "...";
    ServiceOptions serviceOptions;
    serviceOptions.hostname = hostname;
    serviceOptions.hostIp = o.hostIp;
    serviceOptions.internal = o.internal;
    serviceOptions.explicitOnly = o.explicitOnly;
    serviceOptions.useIpFromLabel = o.useIpFromLabel;
    serviceOptions.tags = tags ? &*tags : nullptr;
    if (!o.hostIp.isEmpty()) {
        qInfo().noquote() << "Forcing host IP to" << o.hostIp;
    } else {
        serviceOptions.resolvedHostIp = AgentSetup::resolveHostIp(AgentSetup::systemHostname());
        qInfo().noquote() << "Host IP for ports bound to all addresses:"
                          << (serviceOptions.resolvedHostIp.isEmpty()
                                  ? QStringLiteral("unknown (set -ip)")
                                  : serviceOptions.resolvedHostIp);
    }

    Registry *registry = createRegistry(registryConfig, &app);
    qInfo().noquote() << QStringLiteral("Using %1 as host %2").arg(registry->describe(), hostname);
    qInfo().noquote() << "Using Docker at" << endpoint.describe();

    // Host record details (docs/feed.md): what a person needs to find this agent.
    auto *v3 = qobject_cast<EtcdV3Registry *>(registry);
    QJsonObject hostInfo{{QStringLiteral("address"),
                          !o.hostIp.isEmpty() ? o.hostIp : serviceOptions.resolvedHostIp}};
    AgentFeed *feed = nullptr;
    if (!o.feed.isEmpty()) {
        if (!v3)
            return usageError(QStringLiteral("-feed needs an etcd v3 registry (etcd://, etcds:// "
                                             "or skydns2://)"));
        feed = new AgentFeed(v3->client(),
                             {o.feed, o.feedTokenFile, o.feedCertFile, o.feedKeyFile, hostname,
                              registryConfig.portolanPrefix, registryConfig.prefix,
                              o.feedAllowedHosts.isEmpty()
                                  ? QStringList()
                                  : o.feedAllowedHosts.split(QLatin1Char(','))},
                             &app);
        const QString feedError = feed->start();
        if (!feedError.isEmpty()) {
            qCritical().noquote() << "feed:" << feedError;
            return 1;
        }
        QString url = feed->url();
        const QString address = hostInfo.value(QStringLiteral("address")).toString();
        if (!address.isEmpty())
            url.replace(QLatin1String("://0.0.0.0:"), QStringLiteral("://%1:").arg(address));
        hostInfo.insert(QStringLiteral("feedUrl"), url);
        qInfo().noquote() << "Browser view and live feed at" << url;
    }
    if (v3)
        v3->setHostInfo(hostInfo);

    DockerClient docker(endpoint);
    if (v3) {
        docker.version(&app, [v3, hostInfo](const DockerResult &r) mutable {
            if (!r.ok())
                return;
            hostInfo.insert(QStringLiteral("dockerVersion"),
                            r.json.object().value(QLatin1String("Version")).toString());
            v3->setHostInfo(hostInfo);
        });
    }
    DockerEventStream events(endpoint);
    RegistrationBridge::Settings settings;
    settings.deregisterOnSuccessOnly = o.deregister == QLatin1String("on-success");
    settings.resyncSeconds = o.resync;
    RegistrationBridge bridge(&docker, &events, registry, ServiceBuilder(serviceOptions), settings);

    QObject::connect(registry, &Registry::connectionChanged, &app,
                     [registry](bool connected, const QString &why) {
                         if (connected)
                             qInfo().noquote() << "Connected to" << registry->describe();
                         else
                             qWarning().noquote() << why + QStringLiteral("; retrying");
                     });
    QObject::connect(registry, &Registry::staleRemoved, &app, [](const QString &key) {
        qInfo().noquote() << "dangling:" << key << "removed";
    });

    // A sync frees its inspect documents and txn bodies once etcd has acknowledged the writes,
    // but glibc keeps the freed pages (in the main arena and in Qt's HTTP thread's arena): about
    // 2 KiB per service. Hand them back once the writes of a sync are done.
    bool trimWhenIdle = false;
    QObject::connect(&bridge, &RegistrationBridge::synced, &app, [&] { trimWhenIdle = true; });
    if (auto *declarative = qobject_cast<DeclarativeRegistry *>(registry)) {
        QObject::connect(declarative, &DeclarativeRegistry::idle, &app, [&] {
            if (std::exchange(trimWhenIdle, false))
                malloc_trim(0);
        });
    }

    // -retry-attempts N (N >= 0): like registrator, give up at start if the registry stays away.
    QTimer giveUp;
    if (o.retryAttempts >= 0) {
        giveUp.setSingleShot(true);
        QObject::connect(&giveUp, &QTimer::timeout, &app, [&] {
            if (!registry->isConnected()) {
                qCritical().noquote() << registry->describe() << "unreachable after"
                                      << o.retryAttempts + 1 << "attempts; exiting";
                QCoreApplication::exit(1);
            }
        });
        giveUp.start((o.retryAttempts + 1) * o.retryInterval);
    }

    UnixSignalWatcher signalWatcher;
    signalWatcher.watch(SIGTERM);
    signalWatcher.watch(SIGINT);
    QObject::connect(&signalWatcher, &UnixSignalWatcher::received, &app, [&](int number) {
        qInfo().noquote() << (number == SIGTERM ? "SIGTERM" : "SIGINT")
                          << QStringLiteral("received: stopping without deregistering; services "
                                            "stay until the lease expires (%1 s) unless an agent "
                                            "starts again")
                                 .arg(o.ttl);
        bridge.stop();
        registry->stop();
        QCoreApplication::quit();
    });

    registry->start();
    bridge.start();
    const int status = app.exec();
    // The feed reads through the registry's etcd client: it must go first.
    bridge.stop();
    delete feed;
    delete registry;
    return status;
}
