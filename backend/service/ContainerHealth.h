#pragma once

#include <QJsonObject>
#include <QString>

// Docker's HEALTHCHECK state as Portolan records it: "none" (the container has no healthcheck),
// "starting", "healthy" or "unhealthy" (docs/compatibility.md, -register-healthy).
namespace ContainerHealth {
// From `docker inspect`: State.Health.Status; no State.Health means "none".
QString fromInspect(const QJsonObject &inspect);
// One of the four states for Docker's spelling of it, or an empty string for anything else (a
// newer daemon's word Portolan does not know: the caller asks inspect instead of guessing).
QString normalized(const QString &status);
// -register-healthy: a container that has a healthcheck keeps its registrator key only while
// it is healthy; one without a healthcheck is not affected.
bool withholdsKey(const QString &health);
// "stopping": Docker sent the container a signal that ends it (a `kill` event with SIGINT,
// SIGQUIT or SIGTERM, as `docker stop` does). Balancers drain it while the app finishes
// its requests; the service is removed when it dies. Other signals (HUP, USR1 ...) change nothing.
QString stopping();
bool isStopSignal(const QString &signal);
} // namespace ContainerHealth
