#include "docker/ContainerInspect.h"

ContainerInspect ContainerInspect::fromJson(const QJsonObject &inspect)
{
    ContainerInspect c;
    c.id = inspect.value(QLatin1String("Id")).toString();
    const QJsonObject state = inspect.value(QLatin1String("State")).toObject();
    c.running = state.value(QLatin1String("Running")).toBool();
    c.exitCode = state.value(QLatin1String("ExitCode")).toInt();
    c.json = inspect;
    return c;
}
