#include "service/ServiceDefinition.h"

QString ServiceDefinition::address() const
{
    const QString p = QString::number(port);
    if (ip.contains(QLatin1Char(':')))
        return QLatin1Char('[') + ip + QStringLiteral("]:") + p;
    return ip + QLatin1Char(':') + p;
}

bool ServiceDefinition::operator==(const ServiceDefinition &o) const
{
    return id == o.id && name == o.name && ip == o.ip && port == o.port && protocol == o.protocol &&
           exposedPort == o.exposedPort && tags == o.tags && attributes == o.attributes &&
           hostname == o.hostname && containerId == o.containerId &&
           containerName == o.containerName && image == o.image && health == o.health &&
           keyWithheld == o.keyWithheld;
}
