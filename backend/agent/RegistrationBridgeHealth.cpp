// RegistrationBridge's side of Docker's HEALTHCHECK: health_status events rewrite the detail
// records of the container's services (and, with -register-healthy, write or remove their
// registrator keys) without a full resync.
#include "agent/RegistrationBridge.h"
#include "docker/ContainerSource.h"
#include "registry/Registry.h"
#include "service/ContainerHealth.h"

void RegistrationBridge::handleHealth(const QString &id, const QString &status)
{
    // A stopping container stays drained whatever its healthcheck says until it dies.
    if (m_eventHealth.value(id) == ContainerHealth::stopping())
        return;
    const QString health = ContainerHealth::normalized(status);
    if (health.isEmpty()) {
        inspectHealth(id); // the event names no state Portolan knows: ask Docker once
        return;
    }
    // A start's inspect still in flight may have been answered before this change.
    m_eventHealth.insert(id, health);
    applyHealth(id, health);
}

void RegistrationBridge::inspectHealth(const QString &id)
{
    if (!m_services.contains(id))
        return; // nothing registered; a start's inspect in flight reads the health itself
    const quint64 generation = m_generation;
    const quint64 epoch = m_epoch.value(id);
    m_docker->inspectContainer(id, this, [this, id, generation, epoch](const InspectResult &r) {
        if (!isCurrent(id, generation, epoch))
            return;
        if (r.ok() && r.container.running)
            applyHealth(id, ContainerHealth::fromInspect(r.container.json));
        else if (!r.ok() && !r.notFound)
            qWarning().noquote() << "unable to inspect container:" << id.left(12) << r.error;
    });
}

void RegistrationBridge::applyHealth(const QString &id, const QString &health)
{
    const auto it = m_services.constFind(id);
    if (it == m_services.cend())
        return;
    QList<ServiceDefinition> services = *it;
    for (ServiceDefinition &s : services)
        m_resolver.setHealth(s, health);
    if (services == *it)
        return; // Docker repeats a state Portolan already wrote
    m_eventClocks[id].start();
    setServices(id, services);
    m_registry->sendNow();
}

QList<ServiceDefinition>
RegistrationBridge::withEventHealth(const QString &id, QList<ServiceDefinition> services) const
{
    const auto health = m_eventHealth.constFind(id);
    if (health != m_eventHealth.cend()) {
        for (ServiceDefinition &s : services)
            m_resolver.setHealth(s, *health);
    }
    return services;
}

void RegistrationBridge::logHealthChange(const ServiceDefinition &s)
{
    Announced &last = m_announced[s.id];
    if (last.health == s.health && last.keyWithheld == s.keyWithheld)
        return;
    QString line = QStringLiteral("health: %1 %2 %3 (was %4)")
                       .arg(s.containerId.left(12), s.id, s.health, last.health);
    if (s.keyWithheld != last.keyWithheld)
        line += s.keyWithheld ? QStringLiteral("; registrator key removed until healthy")
                              : QStringLiteral("; registrator key written");
    qInfo().noquote() << line;
    last = {s.health, s.keyWithheld};
    acknowledged(s.containerId);
}
