#include "agent/RegistrationBridge.h"

#include "core/AgentMetrics.h"
#include "docker/ContainerSource.h"
#include "registry/Registry.h"
#include "service/ContainerHealth.h"

#include <QLoggingCategory>

namespace {
constexpr int kMaxPendingPortAttempts = 8; // 25 ms doubling: about 6 s in all

QString shortId(const QString &id)
{
    return id.left(12);
}
} // namespace

RegistrationBridge::RegistrationBridge(ContainerSource *docker, Registry *registry,
                                       ServiceBuilder builder, Settings settings, QObject *parent)
    : QObject(parent), m_docker(docker), m_registry(registry), m_settings(settings),
      m_resolver(docker, std::move(builder)), m_sync(docker, registry, &m_resolver, &m_notes)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RegistrationBridge::connectDocker);
    connect(&m_sync, &ContainerSync::finished, this, &RegistrationBridge::onSynced);
    connect(&m_sync, &ContainerSync::deferredEvent, this, &RegistrationBridge::onEvent);
    connect(m_docker, &ContainerSource::eventsOpened, this, &RegistrationBridge::onEventsOpened);
    connect(m_docker, &ContainerSource::eventReceived, this, &RegistrationBridge::onEvent);
    connect(m_docker, &ContainerSource::eventDropped, this, [this](const QString &error) {
        qWarning().noquote() << error << "- resyncing with Docker";
        m_sync.eventLost();
    });
    connect(m_docker, &ContainerSource::eventsClosed, this, [this](const QString &error) {
        scheduleReconnect(QStringLiteral("Docker event stream closed: %1").arg(error));
    });
    connect(m_registry, &Registry::serviceRegistered, this, [this](const ServiceDefinition &s) {
        if (!m_announced.contains(s.id)) {
            m_announced.insert(s.id, {s.health, s.keyWithheld});
            if (s.keyWithheld)
                qInfo().noquote() << "added:" << shortId(s.containerId) << s.id
                                  << "(" + s.health + ": registrator key withheld until healthy)";
            else
                qInfo().noquote() << "added:" << shortId(s.containerId) << s.id;
            AgentMetrics::instance().registrations.inc();
            acknowledged(s.containerId);
        } else {
            logHealthChange(s);
        }
    });
    connect(m_registry, &Registry::serviceDeregistered, this, [this](const ServiceDefinition &s) {
        if (m_announced.remove(s.id)) {
            qInfo().noquote() << "removed:" << shortId(s.containerId) << s.id;
            acknowledged(s.containerId);
        }
    });
    connect(m_registry, &Registry::staleRemoved, this,
            [] { AgentMetrics::instance().deregistered(AgentMetrics::Deregistration::Sync); });
    connect(m_registry, &Registry::connectionChanged, this,
            [](bool connected) { AgentMetrics::instance().etcdConnected.set(connected ? 1 : 0); });
}

// The first write etcd acknowledged for a container's latest event ends its latency sample.
void RegistrationBridge::acknowledged(const QString &containerId)
{
    AgentMetrics &metrics = AgentMetrics::instance();
    metrics.servicesRegistered.set(m_announced.size());
    const auto clock = m_eventClocks.constFind(containerId);
    if (clock == m_eventClocks.constEnd())
        return;
    metrics.eventAckSeconds.observe(double(clock->nsecsElapsed()) / 1e9);
    m_eventClocks.erase(clock);
}

void RegistrationBridge::start()
{
    m_stopped = false;
    m_sync.start(m_settings.resyncSeconds);
    connectDocker();
}

void RegistrationBridge::stop()
{
    m_stopped = true;
    ++m_generation;
    m_reconnectTimer.stop();
    m_sync.stop();
    m_docker->stopEvents();
}

void RegistrationBridge::connectDocker()
{
    if (m_stopped)
        return;
    const quint64 generation = ++m_generation;
    m_docker->ping(this, [this, generation](const QString &error) {
        if (generation != m_generation)
            return;
        if (!error.isEmpty())
            scheduleReconnect(error);
        else
            m_docker->startEvents();
    });
}

void RegistrationBridge::scheduleReconnect(const QString &why)
{
    if (m_stopped)
        return;
    ++m_generation;
    m_sync.dockerDown();
    m_docker->stopEvents();
    // Log the fault once, not once per retry: a new fault while up, never the same one again.
    if ((m_dockerUp || !m_connectBackoff.active()) && m_connectFault.report(why)) {
        qWarning().noquote() << why + QStringLiteral("; retrying with backoff");
        m_reconnectAnnounced = false;
    }
    m_dockerUp = false;
    AgentMetrics::instance().dockerConnected.set(0);
    m_eventClocks.clear();
    m_eventHealth.clear();
    m_reconnectTimer.start(m_connectBackoff.next());
}

void RegistrationBridge::onEventsOpened()
{
    if (m_connectBackoff.active() && !m_reconnectAnnounced) {
        qInfo().noquote() << "Reconnected to Docker at" << m_docker->describe();
        m_reconnectAnnounced = true;
        qInfo().noquote() << "Listening for Docker events ...";
    } else if (!m_connectBackoff.active()) {
        qInfo().noquote() << "Listening for Docker events ...";
    }
    m_dockerUp = true;
    AgentMetrics::instance().dockerConnected.set(1);
    m_syncClock.start();
    m_sync.dockerUp(); // events are flowing now, so a listing misses nothing
}

void RegistrationBridge::onEvent(const ContainerEvent &event)
{
    if (m_sync.defer(event))
        return;
    const QString &id = event.containerId;
    if (!event.isContainer() || id.isEmpty())
        return;
    if (event.action == QLatin1String("start") || event.action == QLatin1String("die")) {
        m_eventClocks[id].start();
        m_eventHealth.remove(id); // a new run of the container starts its healthcheck anew
    }
    if (event.action == QLatin1String("start")) {
        ++m_epoch[id];
        handleStart(id, 0);
    } else if (event.action == QLatin1String("die")) {
        ++m_epoch[id];
        handleDie(id, event.attributes.value(QStringLiteral("exitCode")));
    } else if (event.isHealthStatus()) {
        handleHealth(id, event.healthStatus());
    } else if (event.action == QLatin1String("kill") &&
               ContainerHealth::isStopSignal(event.attributes.value(QStringLiteral("signal")))) {
        // Drained from now on: the app may serve on for its stop timeout, but balancers stop
        // sending it new requests before it exits (docs/load-balancing.md).
        m_eventHealth.insert(id, ContainerHealth::stopping());
        applyHealth(id, ContainerHealth::stopping());
    }
}

void RegistrationBridge::onSynced(const ContainerSync::Outcome &outcome)
{
    m_services = outcome.services;
    // Services gone while we were away are deleted by reconcile ("dangling: ..."); forget them
    // so that a later start logs "added:" again.
    QSet<QString> ids;
    for (const auto &list : std::as_const(m_services))
        for (const ServiceDefinition &s : list)
            ids.insert(s.id);
    m_announced.removeIf([&ids](const auto &it) { return !ids.contains(it.key()); });
    m_eventHealth.clear(); // the sync's inspects are newer; deferred events follow
    AgentMetrics &metrics = AgentMetrics::instance();
    metrics.servicesRegistered.set(m_announced.size());
    if (outcome.complete && m_syncClock.isValid()) {
        metrics.syncSeconds.observe(double(m_syncClock.nsecsElapsed()) / 1e9);
        m_syncClock.invalidate();
        metrics.setSynced();
    }
    Q_EMIT synced(outcome.containers);
    if (outcome.complete) {
        // Only a full sync proves Docker works again; then faults may be logged anew.
        m_connectBackoff.reset();
        m_connectFault.clear();
    }
    for (const QString &id : outcome.portsPending)
        handleStart(id, 1);
}

bool RegistrationBridge::isCurrent(const QString &id, quint64 generation, quint64 epoch) const
{
    return generation == m_generation && epoch == m_epoch.value(id);
}

void RegistrationBridge::handleStart(const QString &id, int attempt)
{
    const quint64 generation = m_generation;
    const quint64 epoch = m_epoch.value(id);
    m_docker->inspectContainer(
        id, this, [this, id, attempt, generation, epoch](const InspectResult &r) {
            if (!isCurrent(id, generation, epoch))
                return;
            if (r.ok())
                applyStarted(id, r.container, attempt);
            else if (!r.notFound)
                qWarning().noquote() << "unable to inspect container:" << shortId(id) << r.error;
        });
}

void RegistrationBridge::applyStarted(const QString &id, const ContainerInspect &container,
                                      int attempt)
{
    if (!container.running)
        return;
    const ServiceBuildResult result = m_resolver.build(container);
    if (result.networkContainerId.isEmpty()) {
        applyServices(id, result, attempt);
        return;
    }
    const quint64 generation = m_generation;
    const quint64 epoch = m_epoch.value(id);
    m_resolver.buildSharingNetwork(
        id, container, result.networkContainerId, this,
        [this, id, generation, epoch] { return isCurrent(id, generation, epoch); },
        [this, id, attempt](const ServiceBuildResult &shared) {
            applyServices(id, shared, attempt);
        });
}

void RegistrationBridge::applyServices(const QString &id, const ServiceBuildResult &result,
                                       int attempt)
{
    m_notes.logStart(id, result.notes);
    if (result.portsPending) {
        if (attempt < kMaxPendingPortAttempts) {
            // Docker can report the start before host ports are bound (registrator #716).
            const quint64 generation = m_generation;
            const quint64 epoch = m_epoch.value(id);
            QTimer::singleShot(25 << attempt, this, [this, id, attempt, generation, epoch] {
                if (isCurrent(id, generation, epoch))
                    handleStart(id, attempt + 1);
            });
        } else {
            qWarning().noquote() << "ports of" << shortId(id)
                                 << "still unassigned after several inspections; registering "
                                    "what is published";
        }
    }
    setServices(id, withEventHealth(id, result.services));
}

void RegistrationBridge::setServices(const QString &id, const QList<ServiceDefinition> &services)
{
    const QList<ServiceDefinition> old = m_services.value(id);
    for (const ServiceDefinition &o : old) {
        const bool kept = std::any_of(services.begin(), services.end(),
                                      [&o](const ServiceDefinition &n) { return n.id == o.id; });
        if (!kept) {
            m_registry->deregisterService(o);
            AgentMetrics::instance().deregistered(AgentMetrics::Deregistration::Changed);
        }
    }
    if (services.isEmpty() && old.isEmpty())
        m_eventClocks.remove(id); // nothing will be written for this event
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
    for (const ServiceDefinition &s : old) {
        m_registry->deregisterService(s);
        AgentMetrics::instance().deregistered(AgentMetrics::Deregistration::Die);
    }
    m_registry->sendNow(); // every port of the container in one txn, written right now
}

// With -deregister=always a `die` costs no Docker call: the removal is written while the event
// is being handled. -deregister=on-success needs the exit code: the event's exitCode attribute
// (Docker >= 1.10) settles a failure at once; a success still asks inspect whether a restart
// policy already has the container running again (Docker answers that inspect only once its
// teardown of the container is over).
void RegistrationBridge::handleDie(const QString &id, const QString &exitCode)
{
    m_notes.forget(id);
    if (!m_services.contains(id)) {
        m_eventClocks.remove(id);
        return;
    }
    if (!m_settings.deregisterOnSuccessOnly) {
        removeContainer(id);
        return;
    }
    bool known = false;
    const int code = exitCode.toInt(&known);
    if (known && !isSuccess(code)) {
        keepFailed(id, code);
        return;
    }
    const quint64 generation = m_generation;
    const quint64 epoch = m_epoch.value(id);
    m_docker->inspectContainer(id, this, [this, id, generation, epoch](const InspectResult &r) {
        if (isCurrent(id, generation, epoch))
            applyExit(id, r);
    });
}

// -deregister=on-success: only a container that ended well leaves the registry at once.
void RegistrationBridge::applyExit(const QString &id, const InspectResult &r)
{
    if (r.notFound) {
        qInfo().noquote() << "container" << shortId(id) << "was removed, could not fetch exit code";
        removeContainer(id);
        return;
    }
    if (!r.ok()) {
        qWarning().noquote() << "error fetching status for container" << shortId(id)
                             << "on \"die\" event:" << r.error;
        return;
    }
    if (r.container.running) {
        qInfo().noquote() << "not removing container" << shortId(id) << ", still running";
        return;
    }
    if (isSuccess(r.container.exitCode)) {
        removeContainer(id);
        return;
    }
    keepFailed(id, r.container.exitCode);
}

// Registrator's rule: exit 0, or death by a signal (bit 128), counts as success.
bool RegistrationBridge::isSuccess(int exitCode)
{
    return exitCode == 0 || (exitCode & 128) == 128;
}

void RegistrationBridge::keepFailed(const QString &id, int exitCode)
{
    m_eventClocks.remove(id); // nothing will be written for this event
    qInfo().noquote() << "not deregistering" << shortId(id) << ": exited with code" << exitCode
                      << "(-deregister=on-success); it is removed at the next resync";
}
