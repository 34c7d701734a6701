#pragma once

#include "agent/ContainerSync.h"
#include "agent/RetryBackoff.h"
#include "agent/ServiceResolver.h"
#include "agent/StartNotes.h"
#include "docker/ContainerEvent.h"
#include "service/ServiceDefinition.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

class ContainerSource;
class Registry;

// Keeps the registry equal to the published ports of Docker's running containers:
// Docker -> ServiceBuilder -> Registry. Connects to Docker, reconnects with backoff, and hands
// each (re)connect to ContainerSync; between syncs it follows start, die and health_status
// events (RegistrationBridgeHealth.cpp). The registry owns its own retries.
class RegistrationBridge : public QObject {
    Q_OBJECT
public:
    struct Settings {
        bool deregisterOnSuccessOnly = false; // -deregister=on-success
        int resyncSeconds = 0;                // -resync
    };

    RegistrationBridge(ContainerSource *docker, Registry *registry, ServiceBuilder builder,
                       Settings settings, QObject *parent = nullptr);

    void start();
    void stop();

    // Services currently registered per container id (for tests and the feed).
    QHash<QString, QList<ServiceDefinition>> services() const { return m_services; }

Q_SIGNALS:
    // A full sync with Docker finished; count is the number of running containers seen.
    void synced(int containers);

private:
    void connectDocker();
    void scheduleReconnect(const QString &why);
    void onEventsOpened();
    void onEvent(const ContainerEvent &event);
    void onSynced(const ContainerSync::Outcome &outcome);
    void handleStart(const QString &id, int attempt);
    void applyStarted(const QString &id, const ContainerInspect &container, int attempt);
    void applyServices(const QString &id, const ServiceBuildResult &result, int attempt);
    void handleDie(const QString &id, const QString &exitCode);
    // health_status events, in RegistrationBridgeHealth.cpp: the event's state rewrites the
    // container's services; an event naming no known state costs one inspect.
    void handleHealth(const QString &id, const QString &status);
    void inspectHealth(const QString &id);
    void applyHealth(const QString &id, const QString &health);
    // The latest health_status event's state wins over an inspect answered before it.
    QList<ServiceDefinition> withEventHealth(const QString &id,
                                             QList<ServiceDefinition> services) const;
    // A registered service was acknowledged again: one "health:" line if its health changed.
    void logHealthChange(const ServiceDefinition &service);
    void applyExit(const QString &id, const InspectResult &result);
    static bool isSuccess(int exitCode);
    void keepFailed(const QString &id, int exitCode); // -deregister=on-success, a failed exit
    void setServices(const QString &id, const QList<ServiceDefinition> &services);
    void removeContainer(const QString &id);
    void acknowledged(const QString &containerId); // metrics: a write or delete landed
    // False once the container had a newer event or Docker was reconnected.
    bool isCurrent(const QString &id, quint64 generation, quint64 epoch) const;

    ContainerSource *m_docker;
    Registry *m_registry;
    Settings m_settings;
    ServiceResolver m_resolver;
    StartNotes m_notes;
    ContainerSync m_sync;

    QHash<QString, QList<ServiceDefinition>> m_services;
    QTimer m_reconnectTimer;
    // Reset only after a full sync (list and every inspect): an event stream that opens while
    // the list is refused is not a success.
    RetryBackoff m_connectBackoff{100, 1000}; // a local socket refusing costs nothing to retry
    FaultNotice m_connectFault;
    bool m_reconnectAnnounced = true;
    bool m_dockerUp = false;
    bool m_stopped = false;
    // Service ids already logged as "added:", with the health (and -register-healthy key
    // state) last logged for them.
    struct Announced {
        QString health;
        bool keyWithheld = false;
    };
    QHash<QString, Announced> m_announced;
    QHash<QString, QString> m_eventHealth; // per container: state of its last health_status
    QHash<QString, quint64> m_epoch; // per container: bumps on each event, drops stale inspects
    quint64 m_generation = 0;        // bumps on every (re)connect; stale callbacks are dropped
    QHash<QString, QElapsedTimer> m_eventClocks; // per container: since its last event
    QElapsedTimer m_syncClock;                   // since the event stream opened
};
