#pragma once

#include "feed/FeedApi.h"
#include "feed/FeedConnectionGuard.h"
#include "feed/FeedSubscriber.h"
#include "feed/FeedWebFiles.h"
#include "feed/OpsEndpoints.h"
#include "http/HttpRequestParser.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrlQuery>
#include <array>
#include <memory>
#include <optional>

class ClusterState;
class FeedHttpConnection;
class FeedWebSocket;
struct FeedHttpResponse;
class QTcpServer;
class QTimer;

struct FeedServerOptions {
    QString address = QStringLiteral("127.0.0.1"); // an IP address, or "localhost"
    quint16 port = 0;                              // 0 picks a free port (tests)
    QByteArray token;                              // required unless the address is loopback
    QString certFile, keyFile;                     // PEM; both set serves HTTPS and wss:
    QString agentVersion;
    QString hostname;
    QStringList allowedHosts; // -feed-allowed-hosts: names besides IP literals and localhost
    FeedSubscriberLimits clientLimits;
    FeedConnectionLimits connectionLimits;
    HttpRequestLimits requestLimits;
    int headDeadlineMs = 10000; // a request head must arrive within this from its first byte
    int maxClients = 256;
};

// The agent's feed (docs/feed.md): the browser view, the JSON API and the /ws WebSocket on one
// port. Read-only: it only reads ClusterState and never changes etcd or the agent. Requests
// are read by our own strict parser and every limit holds before the token is looked at
// (docs/security.md); QHttpServer 6.4 has no bound on a request's head.
class FeedServer : public QObject {
    Q_OBJECT
public:
    struct ClientStats {
        quint64 id = 0;
        qint64 pendingBytes = 0; // queued plus buffered in the socket
        qint64 peakPendingBytes = 0;
        int overflows = 0;
        bool closing = false;
    };

    FeedServer(ClusterState *state, FeedServerOptions options, QObject *parent = nullptr);
    ~FeedServer() override;

    // Binds and starts serving. Returns an empty string, or a sentence saying why not, e.g.
    // "refusing to serve the feed on 0.0.0.0:8080 without -feed-token-file".
    QString listen();
    quint16 serverPort() const;
    bool isTls() const;
    QString url() const; // e.g. "http://127.0.0.1:8080/"

    // The key tree endpoints answer 503 until these are set.
    void setKeyTreeProvider(KeyTreeProvider provider) { m_treeProvider = std::move(provider); }
    void setKeyValueProvider(KeyValueProvider provider) { m_keyProvider = std::move(provider); }
    // /healthz, /readyz and /metrics answer 404 (as any missing file) until these are set.
    void setOpsEndpoints(OpsEndpoints endpoints) { m_ops = std::move(endpoints); }

    int clientCount() const { return int(m_clients.size()); }
    QList<ClientStats> clientStats() const;
    // The most bytes any client, connected or gone, ever had pending: the memory bound in use.
    qint64 peakPendingBytes() const;
    // How many snapshot messages were serialised: one per cluster change and reason, however
    // many clients asked for it (the rest share it).
    int snapshotBuilds() const { return m_snapshotBuilds; }
    // Plain HTTP connections held now (WebSocket clients not counted), and how many were cut.
    int httpConnections() const { return m_guard->watched(); }
    int httpConnectionsCutIdle() const { return m_guard->cutIdle(); }
    int httpConnectionsRefused() const { return m_guard->refused(); }

    // Reads -feed-token-file: the first line, trimmed. Empty optional and `error` on failure.
    static std::optional<QByteArray> readTokenFile(const QString &path, QString *error);
    // Compares without an early exit, so the time taken does not reveal a matching prefix.
    static bool tokensEqual(const QByteArray &presented, const QByteArray &expected);
    // Requests answered with an error status before routing (limits, framing, Host, Origin).
    int requestsRefused() const { return m_requestsRefused; }

Q_SIGNALS:
    void clientCountChanged(int count);
    // A client fell behind: it got a fresh snapshot, or (closed) was closed with 1013.
    // `peer` is "address:port".
    void clientOverflowed(quint64 clientId, bool closed, const QString &peer);
    // A WebSocket client answered nothing, not even pings, for two heartbeats and was cut.
    void clientSilent(quint64 clientId, const QString &peer, int silentMs);
    // An HTTP connection was refused at accept: connectionLimits.maxConnections were held.
    void connectionRefused(const QString &peer);
    // A request or WebSocket upgrade was refused; `why` is one sentence without the request's
    // target or headers (they may hold a token). Many may come at once: aggregate them.
    void requestRefused(const QString &peer, int status, const QString &why);
    // A WebSocket client sent pings without reading their answers and was cut.
    void clientPingFlood(quint64 clientId, const QString &peer);

private:
    void acceptConnections();
    void handleRequest(FeedHttpConnection *connection);
    void refuse(FeedHttpConnection *connection, const FeedHttpResponse &response,
                const QString &why);
    bool isAuthorized(const HttpRequestParser &request) const;
    void answerApi(FeedHttpConnection *connection, const QString &path, const QUrlQuery &query);
    void upgrade(FeedHttpConnection *connection);
    void serveFile(FeedHttpConnection *connection, const QString &path);
    void addClient(std::unique_ptr<FeedWebSocket> socket);
    void broadcast(const QByteArray &message);
    FeedMessage snapshotMessage(FeedProtocol::SnapshotReason reason);
    void invalidateSnapshots();
    QByteArray statusMessage() const;

    ClusterState *m_state;
    FeedServerOptions m_options;
    QHostAddress m_address;
    std::unique_ptr<QTcpServer> m_listener;
    FeedWebFiles m_webFiles;
    KeyTreeProvider m_treeProvider;
    KeyValueProvider m_keyProvider;
    OpsEndpoints m_ops;
    QList<FeedSubscriber *> m_clients;
    quint64 m_nextClientId = 1;
    qint64 m_peakPendingBytesOfGoneClients = 0;
    QByteArray m_lastStatus;
    // The snapshot message per reason, valid until the cluster picture changes.
    std::array<std::optional<FeedMessage>, 3> m_snapshots;
    qint64 m_snapshotRevision = -1;
    int m_snapshotBuilds = 0;
    int m_requestsRefused = 0;
    QTimer *m_trimTimer;
    FeedConnectionGuard *m_guard;
    bool m_tls = false;
};
