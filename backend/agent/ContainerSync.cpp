#include "agent/ContainerSync.h"

#include "agent/ServiceResolver.h"
#include "agent/StartNotes.h"
#include "docker/ContainerSource.h"
#include "registry/Registry.h"

namespace {
constexpr int kMaxInspectsInFlight = 16;
} // namespace

ContainerSync::ContainerSync(ContainerSource *docker, Registry *registry,
                             const ServiceResolver *resolver, StartNotes *notes, QObject *parent)
    : QObject(parent), m_docker(docker), m_registry(registry), m_resolver(resolver), m_notes(notes)
{
    m_listRetryTimer.setSingleShot(true);
    connect(&m_listRetryTimer, &QTimer::timeout, this, [this] {
        if (m_dockerUp && !m_running)
            begin();
    });
    connect(&m_resyncTimer, &QTimer::timeout, this, [this] {
        if (m_dockerUp && !m_running && !m_listRetryTimer.isActive())
            begin();
    });
}

void ContainerSync::start(int resyncSeconds)
{
    if (resyncSeconds > 0)
        m_resyncTimer.start(resyncSeconds * 1000);
}

void ContainerSync::stop()
{
    dockerDown();
    m_resyncTimer.stop();
}

void ContainerSync::dockerUp()
{
    m_dockerUp = true;
    // A list still being refused waits for its own backoff, whatever the stream does.
    if (m_listBackoff.active())
        m_listRetryTimer.start(m_listBackoff.current());
    else
        begin();
}

void ContainerSync::dockerDown()
{
    ++m_generation;
    m_dockerUp = false;
    m_running = false;
    m_deferred.clear();
    m_listRetryTimer.stop(); // the reconnect lists anew
}

bool ContainerSync::defer(const ContainerEvent &event)
{
    if (m_running)
        m_deferred << event;
    return m_running;
}

void ContainerSync::eventLost()
{
    if (m_running)
        m_resyncAfter = true; // the listing may predate the lost event
    else if (m_dockerUp && !m_listRetryTimer.isActive())
        begin(); // a pending list retry resyncs anyway
}

void ContainerSync::begin()
{
    const quint64 generation = m_generation;
    m_running = true;
    m_seen.clear();
    m_inspectFailures = 0;
    m_docker->listContainers(this, [this, generation](const ContainerList &list) {
        if (generation != m_generation)
            return;
        if (!list.ok()) {
            listFailed(list.error);
            return;
        }
        if (m_listFault.clear())
            qInfo().noquote() << "Docker answers the container list again";
        // The registry lists its own records and writes what the inspects find while they are
        // still coming in; it deletes nothing before finish() declares the complete set.
        m_registry->beginReconcile();
        m_queue = list.ids;
        m_outcome = Outcome();
        m_outcome.containers = int(m_queue.size());
        qInfo().noquote()
            << QStringLiteral("Syncing services on %1 containers").arg(m_outcome.containers);
        m_inFlight = 0;
        if (m_queue.isEmpty())
            finish();
        else
            inspectNext();
    });
}

void ContainerSync::listFailed(const QString &error)
{
    // Docker (or a filtering proxy in front of it) refuses the list while the event stream
    // works: keep the stream, handle its events, and ask for the list again ever more rarely.
    m_running = false;
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
    m_resyncAfter = false; // the retry lists anew
    replayDeferred();
}

void ContainerSync::inspectNext()
{
    const quint64 generation = m_generation;
    while (m_inFlight < kMaxInspectsInFlight && !m_queue.isEmpty()) {
        const QString id = m_queue.takeFirst();
        if (m_queue.isEmpty())
            m_registry->flush(); // the last inspects are out: write what is gathered so far
        ++m_inFlight;
        m_docker->inspectContainer(id, this, [this, id, generation](const InspectResult &r) {
            if (generation != m_generation)
                return;
            --m_inFlight;
            onInspected(id, r);
            if (m_queue.isEmpty() && m_inFlight == 0)
                finish();
            else
                inspectNext();
        });
    }
}

void ContainerSync::onInspected(const QString &id, const InspectResult &r)
{
    if (!r.ok()) {
        if (!r.notFound) {
            ++m_inspectFailures;
            qWarning().noquote() << "unable to inspect container:" << id.left(12) << r.error;
        }
        return;
    }
    if (!r.container.running)
        return;
    const ServiceBuildResult result = m_resolver->build(r.container);
    if (result.networkContainerId.isEmpty()) {
        record(id, result);
        return;
    }
    ++m_inFlight; // the network container's inspect
    const quint64 generation = m_generation;
    m_resolver->buildSharingNetwork(
        id, r.container, result.networkContainerId, this,
        [this, generation] { return generation == m_generation; },
        [this, id](const ServiceBuildResult &shared) {
            record(id, shared);
            --m_inFlight;
            if (m_queue.isEmpty() && m_inFlight == 0)
                finish();
        });
}

void ContainerSync::record(const QString &id, const ServiceBuildResult &result)
{
    m_seen.insert(id);
    m_notes->logIfNew(id, result.notes);
    if (result.portsPending)
        m_outcome.portsPending << id; // inspected again once the sync is over
    m_outcome.services.insert(id, result.services);
    for (const ServiceDefinition &s : result.services)
        m_registry->registerService(s);
}

void ContainerSync::finish()
{
    if (!m_running)
        return;
    m_running = false;
    QList<ServiceDefinition> all;
    for (const auto &list : std::as_const(m_outcome.services))
        all += list;
    m_notes->keepOnly(m_seen); // containers gone while we were away
    m_seen.clear();
    m_registry->reconcile(all);
    m_outcome.complete = m_inspectFailures == 0;
    const Outcome outcome = std::exchange(m_outcome, Outcome());
    Q_EMIT finished(outcome);
    // Only a full sync proves Docker works again; otherwise inspect the ones that failed again.
    if (outcome.complete)
        m_listBackoff.reset();
    else
        m_listRetryTimer.start(m_listBackoff.next());
    replayDeferred();
    if (m_resyncAfter && !m_running && !m_listRetryTimer.isActive()) {
        m_resyncAfter = false;
        begin();
    }
}

void ContainerSync::replayDeferred()
{
    const QList<ContainerEvent> deferred = std::exchange(m_deferred, {});
    for (const ContainerEvent &e : deferred)
        Q_EMIT deferredEvent(e);
}
