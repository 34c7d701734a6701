#include "feed/FeedHttpConnection.h"

#include "feed/FeedApi.h"

#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>

namespace {

// The next request is read only once the answers before it are mostly in the kernel: a client
// that pipelines requests and never reads the answers must not pile them up in our memory.
constexpr qint64 kWriteWindow = 64 * 1024;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace

FeedHttpResponse FeedHttpResponse::error(int status, const QString &message, bool close,
                                         const QList<Header> &headers)
{
    FeedHttpResponse response;
    response.status = status;
    response.body =
        QJsonDocument(FeedReply::error(status, message).body).toJson(QJsonDocument::Compact);
    response.headers = QList<Header>{{"Cache-Control", "no-store"}} + headers;
    response.close = close;
    return response;
}

QByteArray FeedHttpResponse::serialize(bool head, bool closing) const
{
    QByteArray out;
    out.reserve(512 + (head ? 0 : body.size()));
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (status != 304)
        out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:\r\n"
           "X-Content-Type-Options: nosniff\r\n"
           "X-Frame-Options: DENY\r\n"
           "Referrer-Policy: no-referrer\r\n";
    for (const Header &header : headers)
        out += header.first + ": " + header.second + "\r\n";
    if (closing)
        out += "Connection: close\r\n";
    out += "\r\n";
    if (!head && status != 304)
        out += body;
    return out;
}

FeedHttpConnection::FeedHttpConnection(QTcpSocket *socket, const HttpRequestLimits &limits,
                                       int headDeadlineMs, QObject *parent)
    : QObject(parent), m_socket(socket), m_parser(limits),
      m_peer(QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort()))
{
    socket->setParent(this);
    // Qt stops reading from the kernel once this much waits here: TCP holds back the rest.
    socket->setReadBufferSize(limits.maxHeaderBytes);
    m_headDeadline.setSingleShot(true);
    m_headDeadline.setInterval(headDeadlineMs);
    connect(&m_headDeadline, &QTimer::timeout, this, &FeedHttpConnection::headDeadlinePassed);
    connect(socket, &QTcpSocket::readyRead, this, &FeedHttpConnection::readRequest);
    connect(socket, &QTcpSocket::bytesWritten, this, &FeedHttpConnection::readRequest);
    connect(socket, &QTcpSocket::disconnected, this, &FeedHttpConnection::finish);
    if (socket->state() != QAbstractSocket::ConnectedState)
        QMetaObject::invokeMethod(this, &FeedHttpConnection::finish, Qt::QueuedConnection);
    else if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &FeedHttpConnection::readRequest, Qt::QueuedConnection);
}

void FeedHttpConnection::acceptAll(QTcpServer *server, const HttpRequestLimits &limits,
                                   int headDeadlineMs, QObject *owner,
                                   const std::function<void(FeedHttpConnection *)> &onRequest)
{
    while (QTcpSocket *socket = server->nextPendingConnection()) {
        auto *connection = new FeedHttpConnection(socket, limits, headDeadlineMs, owner);
        connect(connection, &FeedHttpConnection::requestReady, owner,
                [onRequest, connection] { onRequest(connection); });
        connect(connection, &FeedHttpConnection::finished, connection, &QObject::deleteLater);
    }
}

FeedHttpConnection::~FeedHttpConnection()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

int FeedHttpConnection::failureStatus() const
{
    if (m_timedOut)
        return 408;
    return m_parser.hasError() ? m_parser.errorStatus() : 0;
}

QString FeedHttpConnection::failureMessage() const
{
    if (m_timedOut)
        return QStringLiteral("the request head did not arrive within %1 s")
            .arg(m_headDeadline.interval() / 1000);
    return m_parser.errorString();
}

void FeedHttpConnection::readRequest()
{
    while (!m_answering && !m_closing && m_socket && m_socket->bytesToWrite() < kWriteWindow) {
        if (m_buffer.isEmpty()) {
            if (m_socket->bytesAvailable() <= 0)
                return;
            m_buffer = m_socket->read(m_parser.limits().maxHeaderBytes);
        }
        const qsizetype used = m_parser.feed(m_buffer);
        m_buffer.remove(0, used);
        if (m_parser.hasStarted() && !m_headDeadline.isActive() && !m_parser.isComplete())
            m_headDeadline.start();
        if (m_parser.isComplete() || m_parser.hasError()) {
            m_headDeadline.stop();
            m_answering = true;
            Q_EMIT requestReady();
            return;
        }
    }
}

void FeedHttpConnection::headDeadlinePassed()
{
    if (m_answering || m_closing)
        return;
    m_timedOut = true;
    m_answering = true;
    Q_EMIT requestReady();
}

void FeedHttpConnection::respond(const FeedHttpResponse &response)
{
    if (!m_answering || !m_socket)
        return;
    const bool failed = failureStatus() != 0;
    const bool closing = response.close || failed || !m_parser.keepAlive();
    const bool head = !failed && m_parser.method() == "HEAD";
    m_socket->write(response.serialize(head, closing));
    if (closing) {
        m_closing = true;
        m_buffer.clear();
        m_socket->disconnectFromHost(); // after the answer is written
        return;
    }
    m_answering = false;
    m_parser.reset();
    // The next request may already wait in m_buffer or in the socket; readyRead will not repeat.
    QMetaObject::invokeMethod(this, &FeedHttpConnection::readRequest, Qt::QueuedConnection);
}

QTcpSocket *FeedHttpConnection::takeSocket(QByteArray *pending)
{
    QTcpSocket *socket = m_socket;
    if (!socket)
        return nullptr;
    socket->disconnect(this);
    socket->setParent(nullptr);
    *pending = std::exchange(m_buffer, QByteArray());
    m_socket = nullptr;
    m_closing = true;
    QMetaObject::invokeMethod(this, &FeedHttpConnection::finish, Qt::QueuedConnection);
    return socket;
}

void FeedHttpConnection::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_headDeadline.stop();
    Q_EMIT finished();
}
