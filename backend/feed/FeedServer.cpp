#include "feed/FeedServer.h"

#include "cluster/ClusterState.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QHttpServerRouterRule>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

using Header = std::pair<QByteArray, QByteArray>;

// QHttpServer 6.4 hands a WebSocket upgrade to its own QWebSocketServer only when a rule
// matches the request; this rule lets the server decide per request (path, token, capacity),
// so a refused upgrade falls through to the missing handler and gets a plain HTTP answer.
class FeedRouterRule : public QHttpServerRouterRule {
public:
    using Accepts = std::function<bool(const QHttpServerRequest &)>;
    FeedRouterRule(const QString &pathPattern, Accepts accepts, RouterHandler handler)
        : QHttpServerRouterRule(pathPattern, std::move(handler)), m_accepts(std::move(accepts))
    {
    }

protected:
    bool matches(const QHttpServerRequest &request, QRegularExpressionMatch *match) const override
    {
        return QHttpServerRouterRule::matches(request, match) && m_accepts(request);
    }

private:
    Accepts m_accepts;
};

bool isWebSocketUpgrade(const QHttpServerRequest &request)
{
    return request.value("connection").toLower().contains("upgrade") &&
           request.value("upgrade").compare("websocket", Qt::CaseInsensitive) == 0;
}

void writeResponse(QHttpServerResponder &responder, int status, const QByteArray &contentType,
                   const QByteArray &body, const QList<Header> &headers = {})
{
    responder.writeStatusLine(QHttpServerResponder::StatusCode(status));
    responder.writeHeader("Content-Type", contentType);
    responder.writeHeader("Content-Length", QByteArray::number(body.size()));
    responder.writeHeader("Content-Security-Policy",
                          "default-src 'self'; connect-src 'self' ws: wss:");
    responder.writeHeader("X-Content-Type-Options", "nosniff");
    responder.writeHeader("X-Frame-Options", "DENY");
    responder.writeHeader("Referrer-Policy", "no-referrer");
    for (const Header &header : headers)
        responder.writeHeader(header.first, header.second);
    responder.writeBody(body);
}

void writeJson(QHttpServerResponder &responder, const FeedReply &reply,
               const QList<Header> &headers = {})
{
    writeResponse(responder, reply.status, "application/json",
                  QJsonDocument(reply.body).toJson(QJsonDocument::Compact),
                  QList<Header>{{"Cache-Control", "no-store"}} + headers);
}

void writeError(QHttpServerResponder &responder, int status, const QString &message,
                const QList<Header> &headers = {})
{
    writeJson(responder, FeedReply::error(status, message), headers);
}

const QList<Header> kUnauthorized = {{"WWW-Authenticate", "Bearer realm=\"portolan-feed\""}};
const QList<Header> kGetOnly = {{"Allow", "GET"}};

FeedProtocol::EtcdStatus etcdStatus(ClusterState::Status status)
{
    switch (status) {
    case ClusterState::Status::Connecting:
        return FeedProtocol::EtcdStatus::Connecting;
    case ClusterState::Status::Ready:
        return FeedProtocol::EtcdStatus::Ready;
    case ClusterState::Status::Error:
        return FeedProtocol::EtcdStatus::Error;
    case ClusterState::Status::Disconnected:
        break;
    }
    return FeedProtocol::EtcdStatus::Disconnected;
}

// Answers once, and only while the HTTP connection that asked is still there.
FeedReplyCallback deferredReply(QHttpServerResponder &&responder)
{
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket = held->socket();
    auto answered = std::make_shared<bool>(false);
    return [held, socket, answered](const FeedReply &reply) {
        if (*answered || !socket || !socket->isOpen())
            return;
        *answered = true;
        writeJson(*held, reply);
    };
}

} // namespace

FeedServer::FeedServer(ClusterState *state, FeedServerOptions options, QObject *parent)
    : QObject(parent), m_state(state), m_options(std::move(options)),
      m_http(std::make_unique<QHttpServer>()), m_trimTimer(new QTimer(this)),
      m_guard(new FeedConnectionGuard(m_options.connectionLimits, this))
{
    connect(m_guard, &FeedConnectionGuard::connectionCut, this,
            [this](const QString &peer, bool idle) {
                if (!idle)
                    Q_EMIT connectionRefused(peer);
            });
    // A burst of connecting clients leaves hundreds of KB per client of freed snapshot copies
    // (UTF-8 encodings, write buffers) that glibc keeps on the heap; give them back once the
    // burst is over.
    m_trimTimer->setSingleShot(true);
    m_trimTimer->setInterval(2000);
    connect(m_trimTimer, &QTimer::timeout, this, [] {
#if defined(__GLIBC__)
        malloc_trim(0);
#endif
    });

    m_http->route<FeedRouterRule>(
        QStringLiteral("(?s).*"), // every path, even one with a decoded newline
        [this](const QHttpServerRequest &request) {
            return !isWebSocketUpgrade(request) || acceptsWebSocket(request);
        },
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            handleRequest(request, std::move(responder));
        });
    m_http->setMissingHandler(
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            handleRefusedRequest(request, std::move(responder));
        });
    connect(m_http.get(), &QHttpServer::newWebSocketConnection, this, &FeedServer::takeWebSockets);

    using FeedProtocol::ServiceOp;
    connect(state, &ClusterState::hostChanged, this, [this](const HostRecord &host) {
        invalidateSnapshots();
        broadcast(FeedProtocol::hostMessage(host.toJson()));
    });
    connect(state, &ClusterState::serviceAdded, this, [this](const ServiceRecord &service) {
        invalidateSnapshots();
        broadcast(FeedProtocol::serviceMessage(ServiceOp::Added, service.toJson()));
    });
    connect(state, &ClusterState::serviceChanged, this, [this](const ServiceRecord &service) {
        invalidateSnapshots();
        broadcast(FeedProtocol::serviceMessage(ServiceOp::Changed, service.toJson()));
    });
    connect(state, &ClusterState::serviceRemoved, this, [this](const ServiceRecord &service) {
        invalidateSnapshots();
        broadcast(FeedProtocol::serviceMessage(ServiceOp::Removed, service.toJson()));
    });
    connect(state, &ClusterState::eventAppended, this, [this](const ClusterEvent &event) {
        invalidateSnapshots();
        broadcast(FeedProtocol::eventMessage(event.toJson()));
    });
    connect(state, &ClusterState::hostRemoved, this, &FeedServer::invalidateSnapshots);
    connect(state, &ClusterState::revisionChanged, this, &FeedServer::invalidateSnapshots);
    // setStatus() can emit both signals for one change; clients get one message.
    const auto statusUpdate = [this] {
        const QByteArray status = statusMessage();
        if (status != m_lastStatus)
            broadcast(status);
        m_lastStatus = status;
    };
    connect(state, &ClusterState::statusChanged, this, statusUpdate);
    connect(state, &ClusterState::errorStringChanged, this, statusUpdate);
    m_lastStatus = statusMessage();
    connect(state, &ClusterState::snapshotReset, this, [this] {
        invalidateSnapshots();
        for (FeedClient *client : std::as_const(m_clients))
            client->sendSnapshot(FeedProtocol::SnapshotReason::Resync);
    });
}

FeedServer::~FeedServer()
{
    qDeleteAll(m_clients);
}

QString FeedServer::listen()
{
    QString host = m_options.address;
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    const QString where = QStringLiteral("%1:%2").arg(m_options.address).arg(m_options.port);
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        m_address = QHostAddress(QHostAddress::LocalHost);
    else if (!m_address.setAddress(host))
        return QStringLiteral("the feed address \"%1\" is not an IP address; use e.g. "
                              "127.0.0.1:8080 or 0.0.0.0:8080")
            .arg(m_options.address);
    if (!m_address.isLoopback() && m_options.token.isEmpty())
        return QStringLiteral("refusing to serve the feed on %1 without -feed-token-file")
            .arg(where);

    std::unique_ptr<QTcpServer> server;
    if (!m_options.certFile.isEmpty() || !m_options.keyFile.isEmpty()) {
        if (m_options.certFile.isEmpty() || m_options.keyFile.isEmpty())
            return QStringLiteral("-feed-cert and -feed-key must be given together");
        if (!QSslSocket::supportsSsl())
            return QStringLiteral("cannot serve the feed over TLS: this Qt has no TLS backend");
        QFile certFile(m_options.certFile);
        if (!certFile.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read the feed certificate %1: %2")
                .arg(m_options.certFile, certFile.errorString());
        const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll());
        if (chain.isEmpty())
            return QStringLiteral("the feed certificate %1 holds no PEM certificate")
                .arg(m_options.certFile);
        QFile keyFile(m_options.keyFile);
        if (!keyFile.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read the feed key %1: %2")
                .arg(m_options.keyFile, keyFile.errorString());
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key(keyPem, QSsl::Rsa);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec);
        if (key.isNull())
            return QStringLiteral("the feed key %1 is not an unencrypted PEM RSA or EC key")
                .arg(m_options.keyFile);
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificateChain(chain);
        tls.setPrivateKey(key);
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        auto sslServer = std::make_unique<GuardedServer<QSslServer>>(m_guard);
        sslServer->setSslConfiguration(tls);
        server = std::move(sslServer);
        m_tls = true;
    } else {
        server = std::make_unique<GuardedServer<QTcpServer>>(m_guard);
    }
    if (!server->listen(m_address, m_options.port))
        return QStringLiteral("cannot serve the feed on %1: %2").arg(where, server->errorString());
    m_http->bind(server.release());
    return {};
}

quint16 FeedServer::serverPort() const
{
    const QList<QTcpServer *> servers = m_http->servers();
    return servers.isEmpty() ? 0 : servers.first()->serverPort();
}

bool FeedServer::isTls() const
{
    return m_tls;
}

QString FeedServer::url() const
{
    const QString host = m_address.protocol() == QAbstractSocket::IPv6Protocol
                             ? QStringLiteral("[%1]").arg(m_address.toString())
                             : m_address.toString();
    return QStringLiteral("%1://%2:%3/")
        .arg(m_tls ? QStringLiteral("https") : QStringLiteral("http"), host)
        .arg(serverPort());
}

QList<FeedServer::ClientStats> FeedServer::clientStats() const
{
    QList<ClientStats> stats;
    for (const FeedClient *client : m_clients) {
        stats.append({client->id(), client->pendingBytes(), client->peakPendingBytes(),
                      client->overflowCount(), client->isClosing()});
    }
    return stats;
}

qint64 FeedServer::peakPendingBytes() const
{
    qint64 peak = m_peakPendingBytesOfGoneClients;
    for (const FeedClient *client : m_clients)
        peak = std::max(peak, client->peakPendingBytes());
    return peak;
}

std::optional<QByteArray> FeedServer::readTokenFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error =
            QStringLiteral("cannot read the feed token file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QByteArray token = file.readLine(4096).trimmed();
    if (token.isEmpty()) {
        *error = QStringLiteral("the feed token file %1 is empty").arg(path);
        return std::nullopt;
    }
    return token;
}

bool FeedServer::tokensEqual(const QByteArray &presented, const QByteArray &expected)
{
    // Hashing first gives equal lengths, so the comparison below never depends on where or
    // whether the inputs differ, and the expected token's length is not revealed either.
    const QByteArray a = QCryptographicHash::hash(presented, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (int i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0 && !expected.isEmpty();
}

bool FeedServer::isAuthorized(const QHttpServerRequest &request) const
{
    if (m_options.token.isEmpty())
        return true;
    const QByteArray authorization = request.value("authorization").trimmed();
    QByteArray presented;
    if (authorization.size() > 7 &&
        authorization.left(7).compare("Bearer ", Qt::CaseInsensitive) == 0)
        presented = authorization.mid(7).trimmed();
    else
        presented =
            request.query().queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded).toUtf8();
    return tokensEqual(presented, m_options.token);
}

bool FeedServer::acceptsWebSocket(const QHttpServerRequest &request) const
{
    return request.url().path() == QLatin1String("/ws") &&
           request.method() == QHttpServerRequest::Method::Get && isAuthorized(request) &&
           m_clients.size() < m_options.maxClients;
}

void FeedServer::handleRequest(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    if (isWebSocketUpgrade(request))
        return; // accepted by the rule: Qt's WebSocket server answers the handshake
    if (request.method() != QHttpServerRequest::Method::Get)
        return writeError(responder, 405, QStringLiteral("the feed is read-only; use GET"),
                          kGetOnly);
    if (!isAuthorized(request))
        return writeError(responder, 401, QStringLiteral("a valid feed token is required"),
                          kUnauthorized);

    const QString path = request.url().path();
    const QUrlQuery query = request.query();
    if (path == QLatin1String("/ws"))
        return writeError(responder, 426, QStringLiteral("/ws needs a WebSocket upgrade"),
                          {{"Upgrade", "websocket"}});
    if (path == QLatin1String("/api/v1/snapshot"))
        return writeJson(responder, {200, FeedApi::snapshot(*m_state)});
    if (path == QLatin1String("/api/v1/hosts"))
        return writeJson(responder, {200, FeedApi::hosts(*m_state)});
    if (path == QLatin1String("/api/v1/services"))
        return writeJson(responder, FeedApi::services(*m_state, query));
    if (path == QLatin1String("/api/v1/events"))
        return writeJson(responder, FeedApi::events(*m_state, query));
    if (path == QLatin1String("/api/v1/tree")) {
        KeyTreeQuery tree;
        FeedReply invalid;
        if (!FeedApi::treeQuery(query, &tree, &invalid))
            return writeJson(responder, invalid);
        if (!m_treeProvider)
            return writeError(responder, 503, QStringLiteral("the key tree is not available"));
        return m_treeProvider(tree, deferredReply(std::move(responder)));
    }
    if (path == QLatin1String("/api/v1/key")) {
        const QString key = query.queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded);
        if (key.isEmpty())
            return writeError(responder, 400, QStringLiteral("key is required"));
        if (!m_keyProvider)
            return writeError(responder, 503, QStringLiteral("key lookup is not available"));
        return m_keyProvider(key, deferredReply(std::move(responder)));
    }
    if (path.startsWith(QLatin1String("/api/")))
        return writeError(responder, 404, QStringLiteral("no such endpoint: %1").arg(path));
    serveFile(request, responder);
}

void FeedServer::handleRefusedRequest(const QHttpServerRequest &request,
                                      QHttpServerResponder &&responder)
{
    // Refused WebSocket upgrades get here; Qt closes the connection afterwards.
    if (!isWebSocketUpgrade(request))
        return handleRequest(request, std::move(responder));
    if (request.url().path() != QLatin1String("/ws"))
        return writeError(responder, 404, QStringLiteral("the WebSocket feed is at /ws"));
    if (request.method() != QHttpServerRequest::Method::Get)
        return writeError(responder, 405, QStringLiteral("the feed is read-only; use GET"),
                          kGetOnly);
    if (!isAuthorized(request))
        return writeError(responder, 401, QStringLiteral("a valid feed token is required"),
                          kUnauthorized);
    writeError(responder, 503,
               QStringLiteral("the feed already has %1 clients").arg(m_options.maxClients),
               {{"Retry-After", "10"}});
}

void FeedServer::serveFile(const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    const std::optional<FeedWebFiles::File> file = m_webFiles.find(request.url().path());
    if (!file) {
        return writeResponse(responder, 404, "text/plain; charset=utf-8", "not found\n",
                             {{"Cache-Control", "no-store"}});
    }
    // Files change with the binary, not their names, so browsers revalidate every time.
    const QList<Header> headers = {{"Cache-Control", "no-cache"}, {"ETag", file->etag}};
    if (request.value("if-none-match") == file->etag)
        return writeResponse(responder, 304, file->contentType, {}, headers);
    writeResponse(responder, 200, file->contentType, file->body, headers);
}

void FeedServer::takeWebSockets()
{
    while (m_http->hasPendingWebSocketConnections()) {
        std::unique_ptr<QWebSocket> socket = m_http->nextPendingWebSocketConnection();
        if (!socket)
            break;
        m_guard->release(socket->peerAddress(), socket->peerPort());
        auto *client = new FeedClient(
            m_nextClientId++, std::move(socket), m_options.clientLimits,
            [this](FeedProtocol::SnapshotReason reason) { return snapshotMessage(reason); }, this);
        m_clients.append(client);
        connect(client, &FeedClient::finished, this, [this, client] {
            m_clients.removeOne(client);
            m_peakPendingBytesOfGoneClients =
                std::max(m_peakPendingBytesOfGoneClients, client->peakPendingBytes());
            client->deleteLater();
            Q_EMIT clientCountChanged(clientCount());
        });
        connect(client, &FeedClient::overflowed, this, [this, client](bool closed) {
            Q_EMIT clientOverflowed(client->id(), closed, client->peer());
        });
        connect(client, &FeedClient::silent, this, [this, client](int silentMs) {
            Q_EMIT clientSilent(client->id(), client->peer(), silentMs);
        });
        client->send(FeedMessage::fromUtf8(
            FeedProtocol::helloMessage(m_options.agentVersion, m_options.hostname)));
        client->sendSnapshot(FeedProtocol::SnapshotReason::Initial);
        client->send(FeedMessage::fromUtf8(statusMessage()));
        Q_EMIT clientCountChanged(clientCount());
    }
}

void FeedServer::broadcast(const QByteArray &message)
{
    if (m_clients.isEmpty())
        return;
    // Serialised and converted once; every client's queue shares the one QString.
    const FeedMessage shared = FeedMessage::fromUtf8(message);
    // A client may finish while we send; it is removed from m_clients but deleted later.
    const QList<FeedClient *> clients = m_clients;
    for (FeedClient *client : clients)
        client->send(shared);
}

FeedMessage FeedServer::snapshotMessage(FeedProtocol::SnapshotReason reason)
{
    m_trimTimer->start();
    if (m_snapshotRevision != m_state->revision())
        invalidateSnapshots();
    std::optional<FeedMessage> &cached = m_snapshots.at(std::size_t(reason));
    if (!cached) {
        const QJsonObject snapshot = FeedApi::snapshot(*m_state);
        cached = FeedMessage::fromUtf8(FeedProtocol::snapshotMessage(
            m_state->revision(), snapshot.value(QStringLiteral("hosts")).toArray(),
            snapshot.value(QStringLiteral("services")).toArray(),
            snapshot.value(QStringLiteral("events")).toArray(), reason));
        m_snapshotRevision = m_state->revision();
        ++m_snapshotBuilds;
    }
    return *cached;
}

void FeedServer::invalidateSnapshots()
{
    for (std::optional<FeedMessage> &cached : m_snapshots)
        cached.reset();
    m_snapshotRevision = -1;
}

QByteArray FeedServer::statusMessage() const
{
    return FeedProtocol::statusMessage(etcdStatus(m_state->status()), m_state->errorString());
}
