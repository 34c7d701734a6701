#pragma once

#include <QHash>
#include <QJsonObject>
#include <QString>

// One event from Docker's /events stream, decoded from its NDJSON line.
struct ContainerEvent {
    QString type;                       // "container"; empty from daemons that predate the field
    QString action;                     // "start", "die" ...
    QString containerId;                // Actor.ID
    QHash<QString, QString> attributes; // Actor.Attributes: image, name, exitCode, labels ...
    qint64 timeNano = 0;

    bool isContainer() const { return type.isEmpty() || type == QLatin1String("container"); }
    // A HEALTHCHECK result changed: Action "health_status: healthy" (or "health_status" alone).
    bool isHealthStatus() const { return action.startsWith(QLatin1String("health_status")); }
    // What follows "health_status:", trimmed ("healthy", "unhealthy"); empty when the action
    // names no state.
    QString healthStatus() const;

    // Reads Type, Action, Actor.ID, Actor.Attributes and timeNano, falling back to the old
    // status/id fields that daemons before API 1.22 send instead.
    static ContainerEvent fromJson(const QJsonObject &event);
};
