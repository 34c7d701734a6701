#pragma once

#include "agent/RetryBackoff.h"
#include "docker/ContainerEvent.h"
#include "service/ServiceDefinition.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

class ContainerSource;
class Registry;
class ServiceResolver;
class StartNotes;
struct ContainerInspect;
struct InspectResult;
struct ServiceBuildResult;

// Brings the registry level with Docker: lists the running containers, inspects them 16 at a
// time (the registry writes while the answers come in) and then declares the complete set.
// Events that arrive meanwhile are kept and handed back afterwards: the listing may predate
// them. A refused list (a filtering socket proxy) is asked for again, backing off up to 30 s;
// only a full sync resets that backoff.
class ContainerSync : public QObject {
    Q_OBJECT
public:
    struct Outcome {
        QHash<QString, QList<ServiceDefinition>> services; // per running container
        QStringList portsPending; // containers whose host ports were not yet bound
        int containers = 0;       // how many Docker listed
        bool complete = false;    // every inspect answered: Docker works again
    };

    ContainerSync(ContainerSource *docker, Registry *registry, const ServiceResolver *resolver,
                  StartNotes *notes, QObject *parent = nullptr);

    // Syncs again every resyncSeconds while Docker is up (-resync; 0: never).
    void start(int resyncSeconds);
    void stop();
    // The event stream is open, so a listing from now on misses nothing: sync now, or when a
    // refused list's backoff says so.
    void dockerUp();
    // Docker went away: drops the sync in progress, the events it kept and any list retry.
    void dockerDown();
    // Keeps an event for after the sync in progress; false when none is running.
    bool defer(const ContainerEvent &event);
    // An event was lost: sync again, after the sync in progress if there is one.
    void eventLost();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    // The registry has been given the complete set.
    void finished(const ContainerSync::Outcome &outcome);
    // An event kept during the sync, to be handled now.
    void deferredEvent(const ContainerEvent &event);

private:
    void begin();
    void listFailed(const QString &error);
    void inspectNext();
    void onInspected(const QString &id, const InspectResult &result);
    void record(const QString &id, const ServiceBuildResult &result);
    void finish();
    void replayDeferred();

    ContainerSource *m_docker;
    Registry *m_registry;
    const ServiceResolver *m_resolver;
    StartNotes *m_notes;

    QTimer m_resyncTimer;
    QTimer m_listRetryTimer;
    RetryBackoff m_listBackoff{1000, 30000}; // the daemon (or a proxy) answered: slow down
    FaultNotice m_listFault;
    bool m_dockerUp = false;

    bool m_running = false;
    QStringList m_queue;
    int m_inFlight = 0;
    int m_inspectFailures = 0;
    Outcome m_outcome;
    QSet<QString> m_seen; // containers this sync inspected
    QList<ContainerEvent> m_deferred;
    bool m_resyncAfter = false; // an event was lost while this sync ran
    quint64 m_generation = 0;   // bumps when Docker goes away; stale callbacks are dropped
};
