#include "service/ContainerHealth.h"

QString ContainerHealth::fromInspect(const QJsonObject &inspect)
{
    const QJsonObject state = inspect.value(QLatin1String("State")).toObject();
    const QJsonValue health = state.value(QLatin1String("Health"));
    if (!health.isObject())
        return QStringLiteral("none");
    const QString status = normalized(health.toObject().value(QLatin1String("Status")).toString());
    // A State.Health whose status is missing or unknown: the healthcheck exists but says nothing
    // Portolan understands, so it counts as not ready yet rather than as no healthcheck.
    return status.isEmpty() ? QStringLiteral("starting") : status;
}

QString ContainerHealth::normalized(const QString &status)
{
    const QString s = status.trimmed();
    for (const char *known : {"none", "starting", "healthy", "unhealthy"}) {
        if (s == QLatin1String(known))
            return s;
    }
    return QString();
}

bool ContainerHealth::withholdsKey(const QString &health)
{
    return health == QLatin1String("starting") || health == QLatin1String("unhealthy") ||
           health == stopping();
}

QString ContainerHealth::stopping()
{
    return QStringLiteral("stopping");
}

bool ContainerHealth::isStopSignal(const QString &signal)
{
    // Docker's kill event carries the number ("15"); a name is accepted too. Not SIGKILL: the
    // container dies at once, so there is nothing to drain, and a "stopping" put would only be
    // one more write that the removal waits behind (its keys are in flight).
    static const QStringList stops{"2", "3", "15", "SIGINT", "SIGQUIT", "SIGTERM"};
    return stops.contains(signal.trimmed());
}
