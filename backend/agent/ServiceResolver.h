#pragma once

#include "docker/ContainerInspect.h"
#include "service/ServiceBuilder.h"

#include <functional>

class ContainerSource;
class QObject;

// Builds a container's services. A container that shares another's network stack
// (NetworkMode "container:<id>") needs that container's inspect too: build() then names it in
// networkContainerId and buildSharingNetwork() fetches it.
class ServiceResolver {
public:
    ServiceResolver(ContainerSource *docker, ServiceBuilder builder);

    ServiceBuildResult build(const ContainerInspect &container) const;
    // A health_status event changed a built service's health (ServiceBuilder::setHealth).
    void setHealth(ServiceDefinition &service, const QString &health) const
    {
        m_builder.setHealth(service, health);
    }

    using Wanted = std::function<bool()>;
    using Done = std::function<void(const ServiceBuildResult &)>;
    // Inspects networkContainerId, then calls done with the services, if wanted() still holds
    // by then and context lives. A failed inspect is logged; the container gets no address.
    void buildSharingNetwork(const QString &id, const ContainerInspect &container,
                             const QString &networkContainerId, QObject *context,
                             const Wanted &wanted, const Done &done) const;

private:
    ContainerSource *m_docker;
    ServiceBuilder m_builder;
};
