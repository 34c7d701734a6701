#pragma once

#include "docker/DockerEndpoint.h"

#include <QJsonDocument>
#include <QObject>
#include <functional>

// Outcome of one Docker Engine API call.
struct DockerResult {
    int status = 0;     // HTTP status, 0 when no response arrived
    QJsonDocument json; // parsed body when it was JSON
    QString error;      // empty on success; a sentence a person can act on otherwise
    bool ok() const { return error.isEmpty() && status >= 200 && status < 300; }
    bool notFound() const { return status == 404; }
};

// Asynchronous client for the Docker Engine API over unix:// or tcp:// (optionally TLS).
// Everything runs on the Qt event loop; each request uses its own connection.
class DockerClient : public QObject {
    Q_OBJECT
public:
    explicit DockerClient(DockerEndpoint endpoint, QObject *parent = nullptr);
    ~DockerClient() override;

    const DockerEndpoint &endpoint() const;
    // "v1.41" after a successful ping; empty before.
    QString apiVersion() const;

    using Callback = std::function<void(const DockerResult &)>;
    // GET /_ping; negotiates the API version from the Api-Version header. Callbacks are not
    // called after `context` is destroyed.
    void ping(QObject *context, Callback done);
    // GET /containers/json (running containers only).
    void listContainers(QObject *context, Callback done);
    // GET /containers/<id>/json.
    void inspectContainer(const QString &id, QObject *context, Callback done);
    // GET /version.
    void version(QObject *context, Callback done);

private:
    struct Private;
    Private *d;
};
