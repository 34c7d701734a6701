#include "agent/ServiceResolver.h"

#include "docker/ContainerSource.h"

ServiceResolver::ServiceResolver(ContainerSource *docker, ServiceBuilder builder)
    : m_docker(docker), m_builder(std::move(builder))
{
}

ServiceBuildResult ServiceResolver::build(const ContainerInspect &container) const
{
    return m_builder.build(container.json);
}

void ServiceResolver::buildSharingNetwork(const QString &id, const ContainerInspect &container,
                                          const QString &networkContainerId, QObject *context,
                                          const Wanted &wanted, const Done &done) const
{
    m_docker->inspectContainer(
        networkContainerId, context, [this, id, container, wanted, done](const InspectResult &r) {
            if (!wanted())
                return;
            QJsonObject other = r.ok() ? r.container.json : QJsonObject();
            if (!r.ok())
                qWarning().noquote()
                    << "unable to inspect network container of" << id.left(12) << r.error;
            // A non-empty stand-in, so that build() does not ask for the inspect again.
            if (other.isEmpty())
                other.insert(QLatin1String("Id"), QLatin1String("unavailable"));
            done(m_builder.build(container.json, other));
        });
}
