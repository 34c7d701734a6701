#pragma once

#include "docker/ContainerEvent.h"
#include "docker/DockerEndpoint.h"

#include <QObject>

// The long-lived GET /events stream (chunked NDJSON), filtered to container start, die and
// health_status (dockerd matches "health_status" as a prefix of "health_status: healthy").
class DockerEventStream : public QObject {
    Q_OBJECT
public:
    explicit DockerEventStream(DockerEndpoint endpoint, QObject *parent = nullptr);
    ~DockerEventStream() override;

    // apiVersion like "v1.41" (from DockerClient::apiVersion()).
    void start(const QString &apiVersion);
    void stop();
    bool isRunning() const;

    // Deadline for connecting and receiving the response headers (10 s by default); once the
    // stream is open it may stay silent for any time, as dockerd sends no heartbeat.
    void setTimeout(int timeoutMs);
    // Longest accepted NDJSON line (1 MiB by default); a longer one is dropped, unbuffered, and
    // reported by eventDropped().
    void setMaxLineBytes(qsizetype bytes);
    // The exact request target, e.g. "/v1.41/events?filters=%7B...%7D".
    static QByteArray eventsTarget(const QString &apiVersion);

Q_SIGNALS:
    // The daemon answered 200 and the stream is open: events from here on will arrive.
    void opened();
    // One event, decoded from its line.
    void eventReceived(const ContainerEvent &event);
    // An event was too long to read (huge labels ride along in every event); the stream goes on,
    // but what that event said is lost, so the owner resyncs.
    void eventDropped(const QString &error);
    // The stream ended or failed; error says why. The owner reconnects. Not emitted after
    // stop() or destruction.
    void closed(const QString &error);

private:
    void fail(const QString &error);
    QString overLong() const;

    struct Private;
    Private *d;
};
