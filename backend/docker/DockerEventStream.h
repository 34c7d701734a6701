#pragma once

#include "docker/DockerEndpoint.h"

#include <QJsonObject>
#include <QObject>

// The long-lived GET /events stream (chunked NDJSON), filtered to container start and die.
class DockerEventStream : public QObject {
    Q_OBJECT
public:
    explicit DockerEventStream(DockerEndpoint endpoint, QObject *parent = nullptr);
    ~DockerEventStream() override;

    // apiVersion like "v1.41" (from DockerClient::apiVersion()).
    void start(const QString &apiVersion);
    void stop();
    bool isRunning() const;

Q_SIGNALS:
    // The daemon answered 200 and the stream is open: events from here on will arrive.
    void opened();
    // One event object (Type, Action, Actor.ID, Actor.Attributes, timeNano ...).
    void event(const QJsonObject &event);
    // The stream ended or failed; error says why. The owner reconnects.
    void closed(const QString &error);

private:
    struct Private;
    Private *d;
};
