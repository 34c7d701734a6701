#include "feed/FeedHttpConnection.h"
#include "feed/FeedRequestPolicy.h"
#include "feed/FeedServer.h"
#include "feed/FeedWebSocket.h"
#include "http/WebSocketFrames.h"

#include <QJsonDocument>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

// The feed's HTTP side: each request is checked (limits, framing, Host, Origin, token) before
// it is routed to the page, the JSON API or the WebSocket upgrade.

namespace {

using Header = FeedHttpResponse::Header;

const QList<Header> kUnauthorized = {{"WWW-Authenticate", "Bearer realm=\"portolan-feed\""}};

FeedHttpResponse jsonResponse(const FeedReply &reply)
{
    FeedHttpResponse response;
    response.status = reply.status;
    response.body = QJsonDocument(reply.body).toJson(QJsonDocument::Compact);
    response.headers = {{"Cache-Control", "no-store"}};
    return response;
}

// Answers once, and only while the connection that asked is still there.
FeedReplyCallback deferredReply(FeedHttpConnection *connection)
{
    QPointer<FeedHttpConnection> held = connection;
    auto answered = std::make_shared<bool>(false);
    return [held, answered](const FeedReply &reply) {
        if (*answered || !held)
            return;
        *answered = true;
        held->respond(jsonResponse(reply));
    };
}

} // namespace

void FeedServer::acceptConnections()
{
    FeedHttpConnection::acceptAll(m_listener.get(), m_options.requestLimits,
                                  m_options.headDeadlineMs, this,
                                  [this](FeedHttpConnection *c) { handleRequest(c); });
}

bool FeedServer::isAuthorized(const HttpRequestParser &request) const
{
    return FeedRequestPolicy::isAuthorized(request, m_options.token);
}

void FeedServer::refuse(FeedHttpConnection *connection, const FeedHttpResponse &response,
                        const QString &why)
{
    ++m_requestsRefused;
    Q_EMIT requestRefused(connection->peer(), response.status, why);
    connection->respond(response);
}

void FeedServer::handleRequest(FeedHttpConnection *connection)
{
    using Response = FeedHttpResponse;
    const HttpRequestParser &request = connection->request();
    // Limits and framing first, then who is asking, and only then what is asked.
    if (auto refused = FeedRequestPolicy::refusal(*connection, m_options.allowedHosts))
        return refuse(connection, refused->response, refused->why);
    if (request.isWebSocketUpgrade())
        return upgrade(connection);

    const QString path = QString::fromUtf8(QByteArray::fromPercentEncoding(request.path()));
    const bool api = path.startsWith(QLatin1String("/api/"));
    if (m_ops.isSet() && !api) {
        if (const auto answer = m_ops.answer(path, isAuthorized(request))) {
            if (answer->status == 401)
                return refuse(connection, *answer,
                              QStringLiteral("a valid feed token is required"));
            return connection->respond(*answer);
        }
    }
    // The page and its assets hold no data, so they need no token; the data does.
    if (!api && path != QLatin1String("/ws"))
        return serveFile(connection, path);
    if (!isAuthorized(request)) {
        const QString why = QStringLiteral("a valid feed token is required");
        return refuse(connection, Response::error(401, why, false, kUnauthorized), why);
    }
    if (!api) {
        return connection->respond(
            Response::error(426, QStringLiteral("/ws needs a WebSocket upgrade"), false,
                            {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}}));
    }
    answerApi(connection, path, QUrlQuery(QString::fromUtf8(request.query())));
}

void FeedServer::answerApi(FeedHttpConnection *connection, const QString &path,
                           const QUrlQuery &query)
{
    if (path == QLatin1String("/api/v1/snapshot"))
        return connection->respond(jsonResponse({200, FeedApi::snapshot(*m_state)}));
    if (path == QLatin1String("/api/v1/hosts"))
        return connection->respond(jsonResponse({200, FeedApi::hosts(*m_state)}));
    if (path == QLatin1String("/api/v1/services"))
        return connection->respond(jsonResponse(FeedApi::services(*m_state, query)));
    if (path == QLatin1String("/api/v1/events"))
        return connection->respond(jsonResponse(FeedApi::events(*m_state, query)));
    if (path == QLatin1String("/api/v1/tree")) {
        KeyTreeQuery tree;
        FeedReply invalid;
        if (!FeedApi::treeQuery(query, &tree, &invalid))
            return connection->respond(jsonResponse(invalid));
        if (!m_treeProvider)
            return connection->respond(
                FeedHttpResponse::error(503, QStringLiteral("the key tree is not available")));
        return m_treeProvider(tree, deferredReply(connection));
    }
    if (path == QLatin1String("/api/v1/key")) {
        const QString key = query.queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded);
        if (key.isEmpty())
            return connection->respond(
                FeedHttpResponse::error(400, QStringLiteral("key is required")));
        if (!m_keyProvider)
            return connection->respond(
                FeedHttpResponse::error(503, QStringLiteral("key lookup is not available")));
        return m_keyProvider(key, deferredReply(connection));
    }
    connection->respond(
        FeedHttpResponse::error(404, QStringLiteral("no such endpoint: %1").arg(path)));
}

void FeedServer::upgrade(FeedHttpConnection *connection)
{
    using Response = FeedHttpResponse;
    const HttpRequestParser &request = connection->request();
    if (request.path() != "/ws") {
        const QString why = QStringLiteral("the WebSocket feed is at /ws");
        return refuse(connection, Response::error(404, why, true), why);
    }
    if (!isAuthorized(request)) {
        const QString why = QStringLiteral("a valid feed token is required");
        return refuse(connection, Response::error(401, why, true, kUnauthorized), why);
    }
    if (request.header("sec-websocket-version").trimmed() != "13") {
        const QString why = QStringLiteral("only WebSocket version 13 is spoken");
        return refuse(connection,
                      Response::error(426, why, true, {{"Sec-WebSocket-Version", "13"}}), why);
    }
    const QByteArray key = request.header("sec-websocket-key").trimmed();
    if (request.httpMinorVersion() != 1 || !WebSocketFrames::isValidClientKey(key)) {
        const QString why = QStringLiteral("not a valid WebSocket upgrade (HTTP/1.1 and a "
                                           "16-byte Sec-WebSocket-Key are required)");
        return refuse(connection, Response::error(400, why, true), why);
    }
    if (m_clients.size() >= m_options.maxClients) {
        const QString why =
            QStringLiteral("the feed already has %1 clients").arg(m_options.maxClients);
        return refuse(connection, Response::error(503, why, true, {{"Retry-After", "10"}}), why);
    }
    QByteArray pending;
    QTcpSocket *socket = connection->takeSocket(&pending);
    if (!socket)
        return;
    m_guard->release(socket->peerAddress(), socket->peerPort());
    socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                  WebSocketFrames::acceptKey(key) + "\r\n\r\n");
    addClient(std::make_unique<FeedWebSocket>(socket, pending, FeedProtocol::MaxClientFrameBytes));
}

void FeedServer::serveFile(FeedHttpConnection *connection, const QString &path)
{
    const std::optional<FeedWebFiles::File> file = m_webFiles.find(path);
    FeedHttpResponse response;
    if (!file) {
        response.status = 404;
        response.contentType = "text/plain; charset=utf-8";
        response.body = "not found\n";
        response.headers = {{"Cache-Control", "no-store"}};
        return connection->respond(response);
    }
    // Files change with the binary, not their names, so browsers revalidate every time.
    response.contentType = file->contentType;
    response.headers = {{"Cache-Control", "no-cache"}, {"ETag", file->etag}};
    if (connection->request().header("if-none-match") == file->etag)
        response.status = 304;
    else
        response.body = file->body;
    connection->respond(response);
}
