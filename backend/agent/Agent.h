#pragma once

#include "agent/AgentOptions.h"
#include "docker/DockerEndpoint.h"
#include "registry/RegistryConfig.h"
#include "service/ServiceBuilder.h"
#include "service/TagTemplate.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <memory>
#include <optional>

class AgentFeed;
class DeclarativeRegistry;
class Registry;
class DockerContainerSource;
class RegistrationBridge;
class ServiceNotifier;
class UnixSignalWatcher;

// The portolan agent, wired: this host's Docker -> RegistrationBridge -> the registry, the
// optional -feed, -retry-attempts and SIGTERM/SIGINT. main() parses the flags and starts it.
class Agent : public QObject {
    Q_OBJECT
public:
    explicit Agent(AgentOptions options, QObject *parent = nullptr);
    ~Agent() override;

    // Checks what needs the system, logs the start-up lines, builds the parts and starts them.
    // False when it cannot run: *usageError then says why (exit 2), or is empty when the fault
    // was logged (exit 1).
    bool start(QString *usageError);

private:
    QString configure();
    void logHostIp();
    QString startFeed();
    void watchDocker();
    void trimMemoryAfterSyncs(DeclarativeRegistry *registry);
    void giveUpWithoutRegistry();
    void stopOnSignals();
    void notifySystemdWhenSynced(DeclarativeRegistry *registry);

    AgentOptions m_options;
    DockerEndpoint m_endpoint;
    QString m_hostname;
    RegistryConfig m_registryConfig;
    std::optional<TagTemplate> m_tags;
    ServiceOptions m_serviceOptions;
    QJsonObject m_hostInfo; // the host record's details (docs/feed.md)

    std::unique_ptr<Registry> m_registry;
    std::unique_ptr<AgentFeed> m_feed;
    std::unique_ptr<DockerContainerSource> m_docker;
    std::unique_ptr<RegistrationBridge> m_bridge;
    std::unique_ptr<UnixSignalWatcher> m_signals;
    std::unique_ptr<ServiceNotifier> m_notifier;
    QTimer m_giveUp;
    bool m_trimWhenIdle = false;
    bool m_dockerSynced = false; // READY=1 waits for this and then etcd's acknowledgement
    bool m_notifiedReady = false;
    QString m_readyStatus;
};
