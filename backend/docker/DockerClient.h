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

    // GET /v<api><path>, e.g. get("/info", ...); negotiates the version first when needed.
    void get(const QString &path, QObject *context, Callback done);
    // Per-request deadline (connect, send, whole answer); 10 s by default.
    void setTimeout(int timeoutMs);
    int timeout() const;
    // The oldest daemon API version Portolan talks to.
    static constexpr int MinimumApiMinor = 24; // 1.24
    // Checks an Api-Version header value ("1.41"); on failure *problem completes the sentence
    // "Docker at <endpoint> ...".
    static bool negotiate(const QString &version, QString *problem);

private:
    struct Private;
    Private *d;
};
