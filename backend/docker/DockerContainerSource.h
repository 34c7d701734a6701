#pragma once

#include "docker/ContainerSource.h"
#include "docker/DockerClient.h"
#include "docker/DockerEventStream.h"

// The ContainerSource of a real daemon: DockerClient for the calls, DockerEventStream for the
// events.
class DockerContainerSource : public ContainerSource {
    Q_OBJECT
public:
    explicit DockerContainerSource(const DockerEndpoint &endpoint, QObject *parent = nullptr);

    QString describe() const override;
    void ping(QObject *context, std::function<void(const QString &error)> done) override;
    void startEvents() override;
    void stopEvents() override;
    void listContainers(QObject *context, std::function<void(const ContainerList &)> done) override;
    void inspectContainer(const QString &id, QObject *context,
                          std::function<void(const InspectResult &)> done) override;

    // GET /version: the daemon's version ("20.10.24"); done is not called when it fails.
    void daemonVersion(QObject *context, std::function<void(const QString &version)> done);

private:
    DockerClient m_client;
    DockerEventStream m_events;
};
