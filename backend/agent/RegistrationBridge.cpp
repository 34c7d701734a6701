#include "agent/RegistrationBridge.h"

#include "docker/DockerClient.h"
#include "docker/DockerEventStream.h"
#include "registry/Registry.h"

#include <QJsonArray>
#include <QLoggingCategory>

namespace {
constexpr int kMaxInspectsInFlight = 16;
constexpr int kMaxPendingPortAttempts = 8; // 25 ms doubling: about 6 s in all

QString shortId(const QString &id)
{
    return id.left(12);
}
} // namespace

RegistrationBridge::RegistrationBridge(DockerClient *docker, DockerEventStream *events,
                                       Registry *registry, ServiceBuilder builder,
                                       Settings settings, QObject *parent)
    : QObject(parent), m_docker(docker), m_events(events), m_registry(registry),
      m_builder(std::move(builder)), m_settings(settings)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RegistrationBridge::connectDocker);
    m_listRetryTimer.setSingleShot(true);
    connect(&m_listRetryTimer, &QTimer::timeout, this, [this] {
        if (m_dockerUp && !m_syncing)
            beginSync();
    });
    connect(&m_resyncTimer, &QTimer::timeout, this, [this] {
        if (m_dockerUp && !m_syncing && !m_listRetryTimer.isActive())
            beginSync();
    });
    connect(m_events, &DockerEventStream::opened, this, &RegistrationBridge::onEventsOpened);
    connect(m_events, &DockerEventStream::eventReceived, this, &RegistrationBridge::onEvent);
    connect(m_events, &DockerEventStream::eventDropped, this, [this](const QString &error) {
        qWarning().noquote() << error << "- resyncing with Docker";
        if (m_syncing)
            m_resyncAfterSync = true; // the listing may predate the lost event
        else if (m_dockerUp && !m_listRetryTimer.isActive())
            beginSync(); // a pending list retry resyncs anyway
    });
    connect(m_events, &DockerEventStream::closed, this, [this](const QString &error) {
        scheduleReconnect(QStringLiteral("Docker event stream closed: %1").arg(error));
    });
    connect(m_registry, &Registry::serviceRegistered, this, [this](const ServiceDefinition &s) {
        if (!m_announced.contains(s.id)) {
            m_announced.insert(s.id);
            qInfo().noquote() << "added:" << shortId(s.containerId) << s.id;
        }
    });
    connect(m_registry, &Registry::serviceDeregistered, this, [this](const ServiceDefinition &s) {
        if (m_announced.remove(s.id))
            qInfo().noquote() << "removed:" << shortId(s.containerId) << s.id;
    });
}

void RegistrationBridge::start()
{
    m_stopped = false;
    if (m_settings.resyncSeconds > 0)
        m_resyncTimer.start(m_settings.resyncSeconds * 1000);
    connectDocker();
}

void RegistrationBridge::stop()
{
    m_stopped = true;
    ++m_generation;
    m_reconnectTimer.stop();
    m_resyncTimer.stop();
    m_listRetryTimer.stop();
    m_events->stop();
}

void RegistrationBridge::connectDocker()
{
    if (m_stopped)
        return;
    const quint64 generation = ++m_generation;
    m_docker->ping(this, [this, generation](const DockerResult &r) {
        if (generation != m_generation)
            return;
        if (!r.ok()) {
            // DockerClient's errors already name the daemon ("Docker at ...: ...").
            scheduleReconnect(r.error.isEmpty()
                                  ? QStringLiteral("Docker at %1 answered HTTP %2 to a ping")
                                        .arg(m_docker->endpoint().describe())
                                        .arg(r.status)
                                  : r.error);
            return;
        }
        m_events->start(m_docker->apiVersion());
    });
}

void RegistrationBridge::scheduleReconnect(const QString &why)
{
    if (m_stopped)
        return;
    ++m_generation;
    m_syncing = false;
    m_deferredEvents.clear();
    m_events->stop();
    m_listRetryTimer.stop(); // the reconnect lists anew
    // Log the fault once, not once per retry: a new fault while up, never the same one again.
    if ((m_dockerUp || !m_connectBackoff.active()) && m_connectFault.report(why)) {
        qWarning().noquote() << why + QStringLiteral("; retrying with backoff");
        m_reconnectAnnounced = false;
    }
    m_dockerUp = false;
    m_reconnectTimer.start(m_connectBackoff.next());
}

void RegistrationBridge::onEventsOpened()
{
    if (m_connectBackoff.active() && !m_reconnectAnnounced) {
        qInfo().noquote() << "Reconnected to Docker at" << m_docker->endpoint().describe();
        m_reconnectAnnounced = true;
        qInfo().noquote() << "Listening for Docker events ...";
    } else if (!m_connectBackoff.active()) {
        qInfo().noquote() << "Listening for Docker events ...";
    }
    m_dockerUp = true;
    // Events are flowing now, so listing after this point misses nothing. A list still being
    // refused waits for its own backoff, whatever the stream does.
    if (m_listBackoff.active())
        m_listRetryTimer.start(m_listBackoff.current());
    else
        beginSync();
}

void RegistrationBridge::onEvent(const QJsonObject &event)
{
    if (m_syncing) {
        m_deferredEvents << event;
        return;
    }
    const QString type = event.value(QLatin1String("Type")).toString();
    if (!type.isEmpty() && type != QLatin1String("container"))
        return;
    QString action = event.value(QLatin1String("Action")).toString();
    if (action.isEmpty())
        action = event.value(QLatin1String("status")).toString();
    QString id =
        event.value(QLatin1String("Actor")).toObject().value(QLatin1String("ID")).toString();
    if (id.isEmpty())
        id = event.value(QLatin1String("id")).toString();
    if (id.isEmpty())
        return;
    if (action == QLatin1String("start")) {
        ++m_epoch[id];
        handleStart(id, 0);
    } else if (action == QLatin1String("die")) {
        ++m_epoch[id];
        handleDie(id);
    }
}

void RegistrationBridge::beginSync()
{
    const quint64 generation = m_generation;
    m_syncing = true;
    m_syncSeen.clear();
    m_syncInspectFailures = 0;
    m_docker->listContainers(this, [this, generation](const DockerResult &r) {
        if (generation != m_generation)
            return;
        if (!r.ok()) {
            listFailed(r.error);
            return;
        }
        if (m_listFault.clear())
            qInfo().noquote() << "Docker answers the container list again";
        // The registry lists its own records and writes what the inspects find while they are
        // still coming in; it deletes nothing before finishSync() declares the complete set.
        m_registry->beginReconcile();
        m_syncQueue.clear();
        m_syncResult.clear();
        m_pendingAfterSync.clear();
        const QJsonArray list = r.json.array();
        for (const QJsonValue &c : list)
            m_syncQueue << c.toObject().value(QLatin1String("Id")).toString();
        m_syncContainers = int(m_syncQueue.size());
        qInfo().noquote()
            << QStringLiteral("Syncing services on %1 containers").arg(m_syncContainers);
        m_syncInFlight = 0;
        if (m_syncQueue.isEmpty())
            finishSync();
        else
            inspectNextForSync();
    });
}

void RegistrationBridge::inspectNextForSync()
{
    const quint64 generation = m_generation;
    while (m_syncInFlight < kMaxInspectsInFlight && !m_syncQueue.isEmpty()) {
        const QString id = m_syncQueue.takeFirst();
        if (m_syncQueue.isEmpty())
            m_registry->flush(); // the last inspects are out: write what is gathered so far
        ++m_syncInFlight;
        m_docker->inspectContainer(id, this, [this, id, generation](const DockerResult &r) {
            if (generation != m_generation)
                return;
            --m_syncInFlight;
            if (r.ok()) {
                applyContainer(id, r.json.object(), {}, 0, true);
            } else if (!r.notFound()) {
                ++m_syncInspectFailures;
                qWarning().noquote() << "unable to inspect container:" << shortId(id) << r.error;
            }
            if (m_syncQueue.isEmpty() && m_syncInFlight == 0)
                finishSync();
            else
                inspectNextForSync();
        });
    }
}

void RegistrationBridge::finishSync()
{
    if (!m_syncing)
        return;
    m_syncing = false;
    m_services = m_syncResult;
    m_syncResult.clear();
    QList<ServiceDefinition> all;
    QSet<QString> ids;
    for (const auto &list : std::as_const(m_services)) {
        all += list;
        for (const ServiceDefinition &s : list)
            ids.insert(s.id);
    }
    // Services gone while we were away are deleted by reconcile ("dangling: ..."); forget them
    // so that a later start logs "added:" again.
    m_announced.intersect(ids);
    m_noted.intersect(m_syncSeen); // containers gone while we were away
    m_syncSeen.clear();
    m_registry->reconcile(all);
    Q_EMIT synced(m_syncContainers);
    if (m_syncInspectFailures == 0) {
        // Only a full sync proves Docker works again; then faults may be logged anew.
        m_connectBackoff.reset();
        m_connectFault.clear();
        m_listBackoff.reset();
    } else {
        m_listRetryTimer.start(m_listBackoff.next()); // inspect the ones that failed again
    }

    const QStringList pending = m_pendingAfterSync;
    m_pendingAfterSync.clear();
    for (const QString &id : pending)
        handleStart(id, 1);
    replayDeferredEvents();
    if (m_resyncAfterSync && !m_syncing && !m_listRetryTimer.isActive()) {
        m_resyncAfterSync = false;
        beginSync();
    }
}

void RegistrationBridge::listFailed(const QString &error)
{
    // Docker (or a filtering proxy in front of it) refuses the list while the event stream
    // works: keep the stream, handle its events, and ask for the list again ever more rarely.
    m_syncing = false;
    const int delayMs = m_listBackoff.next();
    if (m_listFault.report(error))
        qWarning().noquote() << QStringLiteral(
                                    "listing containers failed: %1; container events are still "
                                    "handled, the list is asked for again in %2 s and then less "
                                    "often (at most every %3 s); this is logged again only when "
                                    "the fault changes")
                                    .arg(error)
                                    .arg(delayMs / 1000.0)
                                    .arg(m_listBackoff.cap() / 1000);
    m_listRetryTimer.start(delayMs);
    m_resyncAfterSync = false; // the retry lists anew
    replayDeferredEvents();
}

void RegistrationBridge::replayDeferredEvents()
{
    const QList<QJsonObject> deferred = std::exchange(m_deferredEvents, {});
    for (const QJsonObject &e : deferred)
        onEvent(e);
}

void RegistrationBridge::handleStart(const QString &id, int attempt)
{
    const quint64 generation = m_generation;
    const quint64 epoch = m_epoch.value(id);
    m_docker->inspectContainer(
        id, this, [this, id, attempt, generation, epoch](const DockerResult &r) {
            if (generation != m_generation || epoch != m_epoch.value(id))
                return;
            if (!r.ok()) {
                if (!r.notFound())
                    qWarning().noquote()
                        << "unable to inspect container:" << shortId(id) << r.error;
                return;
            }
            applyContainer(id, r.json.object(), {}, attempt, false);
        });
}

void RegistrationBridge::applyContainer(const QString &id, const QJsonObject &inspect,
                                        const QJsonObject &networkContainer, int attempt,
                                        bool fromSync)
{
    const QJsonObject state = inspect.value(QLatin1String("State")).toObject();
    if (!state.value(QLatin1String("Running")).toBool())
        return;
    const ServiceBuildResult result = m_builder.build(inspect, networkContainer);

    if (!result.networkContainerId.isEmpty() && networkContainer.isEmpty()) {
        const quint64 generation = m_generation;
        const quint64 epoch = m_epoch.value(id);
        if (fromSync)
            ++m_syncInFlight;
        m_docker->inspectContainer(
            result.networkContainerId, this,
            [this, id, inspect, attempt, fromSync, generation, epoch](const DockerResult &r) {
                if (generation != m_generation || (!fromSync && epoch != m_epoch.value(id)))
                    return;
                QJsonObject other = r.ok() ? r.json.object() : QJsonObject();
                if (!r.ok())
                    qWarning().noquote()
                        << "unable to inspect network container of" << shortId(id) << r.error;
                if (other.isEmpty())
                    other.insert(QLatin1String("Id"), QLatin1String("unavailable"));
                applyContainer(id, inspect, other, attempt, fromSync);
                if (fromSync) {
                    --m_syncInFlight;
                    if (m_syncQueue.isEmpty() && m_syncInFlight == 0)
                        finishSync();
                }
            });
        return;
    }

    // Each start's notes once: periodic resyncs would repeat them, but a container first seen by
    // a resync (its start event lost to an over-long event line or a Docker restart) still gets
    // them.
    if (fromSync)
        m_syncSeen.insert(id);
    if (!fromSync || !m_noted.contains(id)) {
        for (const QString &note : result.notes)
            qInfo().noquote() << note;
        m_noted.insert(id);
    }

    if (result.portsPending) {
        if (fromSync) {
            m_pendingAfterSync << id;
        } else if (attempt < kMaxPendingPortAttempts) {
            // Docker can report the start before host ports are bound (registrator #716).
            const quint64 generation = m_generation;
            const quint64 epoch = m_epoch.value(id);
            QTimer::singleShot(25 << attempt, this, [this, id, attempt, generation, epoch] {
                if (generation == m_generation && epoch == m_epoch.value(id))
                    handleStart(id, attempt + 1);
            });
        } else {
            qWarning().noquote() << "ports of" << shortId(id)
                                 << "still unassigned after several inspections; registering "
                                    "what is published";
        }
    }

    if (fromSync) {
        m_syncResult.insert(id, result.services);
        for (const ServiceDefinition &s : result.services)
            m_registry->registerService(s);
    } else {
        setServices(id, result.services);
    }
}

void RegistrationBridge::setServices(const QString &id, const QList<ServiceDefinition> &services)
{
    const QList<ServiceDefinition> old = m_services.value(id);
    for (const ServiceDefinition &o : old) {
        const bool kept = std::any_of(services.begin(), services.end(),
                                      [&o](const ServiceDefinition &n) { return n.id == o.id; });
        if (!kept)
            m_registry->deregisterService(o);
    }
    for (const ServiceDefinition &s : services)
        m_registry->registerService(s);
    if (services.isEmpty())
        m_services.remove(id);
    else
        m_services.insert(id, services);
}

void RegistrationBridge::removeContainer(const QString &id)
{
    const QList<ServiceDefinition> old = m_services.take(id);
    for (const ServiceDefinition &s : old)
        m_registry->deregisterService(s);
}

void RegistrationBridge::handleDie(const QString &id)
{
    m_noted.remove(id); // a restart logs its notes again, as its first start did
    if (!m_services.contains(id))
        return;
    if (!m_settings.deregisterOnSuccessOnly) {
        removeContainer(id);
        return;
    }
    const quint64 generation = m_generation;
    const quint64 epoch = m_epoch.value(id);
    m_docker->inspectContainer(id, this, [this, id, generation, epoch](const DockerResult &r) {
        if (generation != m_generation || epoch != m_epoch.value(id))
            return;
        if (r.notFound()) {
            qInfo().noquote() << "container" << shortId(id)
                              << "was removed, could not fetch exit code";
            removeContainer(id);
            return;
        }
        if (!r.ok()) {
            qWarning().noquote() << "error fetching status for container" << shortId(id)
                                 << "on \"die\" event:" << r.error;
            return;
        }
        const QJsonObject state = r.json.object().value(QLatin1String("State")).toObject();
        const int code = state.value(QLatin1String("ExitCode")).toInt();
        if (state.value(QLatin1String("Running")).toBool()) {
            qInfo().noquote() << "not removing container" << shortId(id) << ", still running";
            return;
        }
        // Registrator's rule: exit 0, or death by a signal (bit 128), counts as success.
        if (code == 0 || (code & 128) == 128) {
            removeContainer(id);
            return;
        }
        qInfo().noquote() << "not deregistering" << shortId(id) << ": exited with code" << code
                          << "(-deregister=on-success); it is removed at the next resync";
    });
}
