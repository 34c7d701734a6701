#include "docker/ContainerEvent.h"

ContainerEvent ContainerEvent::fromJson(const QJsonObject &event)
{
    ContainerEvent e;
    e.type = event.value(QLatin1String("Type")).toString();
    e.action = event.value(QLatin1String("Action")).toString();
    if (e.action.isEmpty())
        e.action = event.value(QLatin1String("status")).toString();
    const QJsonObject actor = event.value(QLatin1String("Actor")).toObject();
    e.containerId = actor.value(QLatin1String("ID")).toString();
    if (e.containerId.isEmpty())
        e.containerId = event.value(QLatin1String("id")).toString();
    const QJsonObject attributes = actor.value(QLatin1String("Attributes")).toObject();
    for (auto it = attributes.begin(); it != attributes.end(); ++it)
        e.attributes.insert(it.key(), it.value().toString());
    e.timeNano = event.value(QLatin1String("timeNano")).toInteger();
    return e;
}

QString ContainerEvent::healthStatus() const
{
    if (!isHealthStatus())
        return QString();
    const qsizetype colon = action.indexOf(QLatin1Char(':'));
    return colon < 0 ? QString() : action.mid(colon + 1).trimmed();
}
