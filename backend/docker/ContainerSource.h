#pragma once

#include "docker/ContainerEvent.h"
#include "docker/ContainerInspect.h"

#include <QObject>
#include <QStringList>
#include <functional>

// The running containers Docker listed, or why it did not.
struct ContainerList {
    QStringList ids;
    QString error; // empty on success; a sentence naming the daemon otherwise
    bool ok() const { return error.isEmpty(); }
};

// What the agent needs of a Docker daemon: a ping, the container list, inspects and the
// container event stream. DockerContainerSource is the real one; unit tests use a fake.
// Callbacks are not called after their context is destroyed.
class ContainerSource : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ContainerSource() override = default;

    // The daemon's address for log lines, e.g. "unix:///var/run/docker.sock".
    virtual QString describe() const = 0;
    // Checks that the daemon answers and agrees on an API version; error is empty on success.
    virtual void ping(QObject *context, std::function<void(const QString &error)> done) = 0;
    // After a successful ping: opens the event stream (eventsOpened(), then events, until
    // eventsClosed()).
    virtual void startEvents() = 0;
    // Closes the event stream; eventsClosed() is not emitted for that.
    virtual void stopEvents() = 0;
    virtual void listContainers(QObject *context,
                                std::function<void(const ContainerList &)> done) = 0;
    virtual void inspectContainer(const QString &id, QObject *context,
                                  std::function<void(const InspectResult &)> done) = 0;

Q_SIGNALS:
    void eventsOpened();
    void eventReceived(const ContainerEvent &event);
    // An event could not be read (too long): what it said is lost, so the owner resyncs.
    void eventDropped(const QString &error);
    // The stream ended or failed; error says why.
    void eventsClosed(const QString &error);
};
