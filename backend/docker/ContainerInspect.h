#pragma once

#include <QJsonObject>
#include <QString>

// One container as GET /containers/<id>/json describes it.
struct ContainerInspect {
    QString id;
    bool running = false; // State.Running
    int exitCode = 0;     // State.ExitCode, once it has stopped
    // The whole answer: ServiceBuilder reads ports, env and labels by registrator's rules.
    QJsonObject json;

    static ContainerInspect fromJson(const QJsonObject &inspect);
};

// The answer to one inspect.
struct InspectResult {
    ContainerInspect container;
    QString error;         // empty on success; a sentence naming the daemon otherwise
    bool notFound = false; // 404: the container is gone (it can be, right after "die")
    bool ok() const { return error.isEmpty(); }
};
