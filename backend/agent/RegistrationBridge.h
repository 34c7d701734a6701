#pragma once

#include "agent/RetryBackoff.h"
#include "service/ServiceBuilder.h"
#include "service/ServiceDefinition.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

class DockerClient;
class DockerEventStream;
class Registry;

// Keeps the registry equal to the published ports of Docker's running containers:
// Docker -> ServiceBuilder -> Registry. Reconnects to Docker by itself and re-syncs after every
// reconnect; the registry owns its own retries. A refused container list (a filtering socket
// proxy) keeps the event stream and retries the list alone, backing off up to 30 s.
class RegistrationBridge : public QObject {
    Q_OBJECT
public:
    struct Settings {
        bool deregisterOnSuccessOnly = false; // -deregister=on-success
        int resyncSeconds = 0;                // -resync
    };

    RegistrationBridge(DockerClient *docker, DockerEventStream *events, Registry *registry,
                       ServiceBuilder builder, Settings settings, QObject *parent = nullptr);

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
    void onEvent(const QJsonObject &event);
    void beginSync();
    void listFailed(const QString &error);
    void inspectNextForSync();
    void finishSync();
    void replayDeferredEvents();
    void handleStart(const QString &id, int attempt);
    void handleDie(const QString &id);
    void applyContainer(const QString &id, const QJsonObject &inspect,
                        const QJsonObject &networkContainer, int attempt, bool fromSync);
    void setServices(const QString &id, const QList<ServiceDefinition> &services);
    void removeContainer(const QString &id);

    DockerClient *m_docker;
    DockerEventStream *m_events;
    Registry *m_registry;
    ServiceBuilder m_builder;
    Settings m_settings;

    QHash<QString, QList<ServiceDefinition>> m_services;
    QTimer m_reconnectTimer;
    QTimer m_resyncTimer;
    QTimer m_listRetryTimer;
    // Both reset only after a full sync (list and every inspect): an event stream that opens
    // while the list is refused is not a success.
    RetryBackoff m_connectBackoff{100, 1000}; // a local socket refusing costs nothing to retry
    RetryBackoff m_listBackoff{1000, 30000};  // the daemon (or a proxy) answered: slow down
    FaultNotice m_connectFault;
    FaultNotice m_listFault;
    bool m_reconnectAnnounced = true;
    int m_syncInspectFailures = 0;
    bool m_dockerUp = false;
    bool m_stopped = false;

    // Full sync: events that arrive meanwhile are replayed after it.
    bool m_syncing = false;
    QStringList m_syncQueue;
    int m_syncInFlight = 0;
    int m_syncContainers = 0;
    QHash<QString, QList<ServiceDefinition>> m_syncResult;
    QList<QJsonObject> m_deferredEvents;
    QStringList m_pendingAfterSync;  // containers whose ports were not yet assigned
    QSet<QString> m_announced;       // service ids already logged as "added:"
    bool m_resyncAfterSync = false;  // an event was dropped while a sync was running
    QSet<QString> m_noted;           // containers whose notes were logged since their start
    QSet<QString> m_syncSeen;        // containers the sync in progress inspected
    QHash<QString, quint64> m_epoch; // per container: bumps on each event, drops stale inspects
    quint64 m_generation = 0;        // bumps on every (re)connect; stale callbacks are dropped
};
