#include "etcd/EtcdConnection.h"

#include <QNetworkProxy>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>
#include <QStringList>
#include <QTcpSocket>
#include <algorithm>
#include <limits>

namespace {
// What the kernel may hand us beyond what we have parsed: with the body cap it bounds the
// peak, and Qt reads no further until we have taken it.
constexpr qint64 ReadBufferBytes = 256 * 1024;
// Enough for any error message etcd sends on a stream.
constexpr qsizetype MaxErrorBodyBytes = 64 * 1024;
// "No cap" for the parser; it wants a chunk size far below 2^59.
constexpr qint64 Unbounded = qint64(1) << 50;
} // namespace

EtcdConnection::EtcdConnection(const QString &endpoint, const QSslConfiguration *tls,
                               QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_url(endpoint),
      m_tls(m_url.scheme() == QLatin1String("https")), m_tlsConfig(tls)
{
}

EtcdConnection::~EtcdConnection()
{
    closeSocket();
}

void EtcdConnection::send(const QByteArray &request, qint64 maxBodyBytes, bool streaming)
{
    m_inSend = true;
    m_request = request;
    m_maxBodyBytes = maxBodyBytes > 0 ? maxBodyBytes : -1;
    m_streaming = streaming;
    m_body.clear();
    m_failure = Failure::None;
    m_failureText.clear();
    m_sslErrors.clear();
    m_sawBytes = false;
    m_busy = true;
    m_reused = m_idle;
    m_idle = false;

    HttpLimits limits;
    limits.maxBodyBytes = streaming ? -1 : m_maxBodyBytes;
    // A chunk is delivered as it arrives, so its size needs no bound of its own beyond the cap.
    limits.maxChunkSize =
        m_maxBodyBytes > 0 ? std::max(limits.maxChunkSize, m_maxBodyBytes) : Unbounded;
    m_parser = HttpResponseParser(limits);

    if (request.isEmpty())
        fail(Failure::Socket, QStringLiteral("the request could not be written"));
    else if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
        onConnected();
    else
        connectSocket();
    m_inSend = false;
}

void EtcdConnection::connectSocket()
{
    closeSocket();
    m_lowDelay = false;
    const quint16 port = quint16(m_url.port(m_tls ? 443 : 80));
    QTcpSocket *socket = nullptr;
    if (m_tls) {
        auto *ssl = new QSslSocket(this);
        if (m_tlsConfig)
            ssl->setSslConfiguration(*m_tlsConfig);
        connect(ssl, &QSslSocket::encrypted, this, &EtcdConnection::onConnected);
        connect(ssl, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            QStringList text;
            for (const QSslError &e : errors)
                text << e.errorString();
            m_sslErrors = text.join(QStringLiteral("; "));
        });
        socket = ssl;
    } else {
        socket = new QTcpSocket(this);
        connect(socket, &QTcpSocket::connected, this, &EtcdConnection::onConnected);
    }
    // Straight to etcd: a proxy would only hide which endpoint failed.
    socket->setProxy(QNetworkProxy::NoProxy);
    socket->setReadBufferSize(ReadBufferBytes);
    m_socket = socket;
    connect(socket, &QTcpSocket::readyRead, this, &EtcdConnection::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &EtcdConnection::onPeerClosed);
    connect(socket, &QTcpSocket::errorOccurred, this, &EtcdConnection::onSocketError);
    if (auto *ssl = qobject_cast<QSslSocket *>(socket))
        ssl->connectToHostEncrypted(m_url.host(), port);
    else
        socket->connectToHost(m_url.host(), port);
}

void EtcdConnection::onConnected()
{
    if (!m_busy || !m_socket)
        return;
    if (!m_lowDelay) {
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_lowDelay = true;
    }
    m_socket->write(m_request);
    m_socket->flush(); // out now, not on the next pass of the event loop
}

void EtcdConnection::gather(QByteArrayView bytes)
{
    const qsizetype need = m_body.size() + bytes.size();
    if (m_body.isEmpty() && !m_streaming && m_parser.contentLength() > 0) {
        // Announced and within the cap (the parser refuses a larger one): one allocation.
        m_body.reserve(qsizetype(m_parser.contentLength()));
    }
    if (need > m_body.capacity()) {
        // Grow by doubling, but never past the cap: the cap bounds what is held, not just
        // what is kept.
        qsizetype want = std::max<qsizetype>(need, m_body.capacity() * 2);
        if (m_maxBodyBytes > 0)
            want = std::min<qsizetype>(want, qsizetype(m_maxBodyBytes));
        m_body.reserve(std::max(want, need));
    }
    m_body.append(bytes);
}

void EtcdConnection::onReadyRead()
{
    if (!m_socket)
        return;
    if (!m_busy) {
        // Bytes nobody asked for on an idle connection: its framing can no longer be trusted.
        m_socket->readAll();
        closeSocket();
        m_idle = false;
        emit lost();
        return;
    }
    const QByteArray data = m_socket->readAll();
    if (data.isEmpty())
        return;
    m_sawBytes = true;
    const bool streamBody = m_streaming;
    QByteArray streamed;
    m_parser.setBodyCallback([this, streamBody, &streamed](QByteArrayView bytes) {
        const int status = m_parser.statusCode();
        if (streamBody && status >= 200 && status < 300)
            streamed.append(bytes);
        else if (!streamBody || m_body.size() < MaxErrorBodyBytes)
            gather(bytes);
    });
    const bool ok = m_parser.feed(data);
    m_parser.setBodyCallback({});
    if (!streamed.isEmpty()) {
        QPointer<EtcdConnection> self(this);
        emit bodyData(streamed);
        if (!self || !m_busy)
            return;
    }
    if (!ok) {
        // The parser's three body-cap errors: "Content-Length N exceeds the N byte body
        // limit", "chunked body exceeds ...", "body exceeds the N byte limit".
        const QString error = m_parser.errorString();
        if (m_maxBodyBytes > 0 && !m_streaming && error.contains(QLatin1String("exceeds the")) &&
            error.contains(QLatin1String("body")))
            fail(Failure::TooLarge, error);
        else
            fail(Failure::BadResponse, error);
    } else if (m_parser.isComplete()) {
        complete();
    }
}

void EtcdConnection::onPeerClosed()
{
    if (!m_socket)
        return;
    if (!m_busy) {
        closeSocket();
        m_idle = false;
        emit lost();
        return;
    }
    if (m_socket->bytesAvailable() > 0) {
        QPointer<EtcdConnection> self(this);
        onReadyRead();
        if (!self || !m_busy)
            return;
    }
    auto *ssl = qobject_cast<QSslSocket *>(m_socket);
    if (m_parser.finish()) {
        complete();
    } else if (!retryOnFreshConnection()) {
        if (ssl && !ssl->isEncrypted())
            fail(Failure::Tls, m_sslErrors.isEmpty()
                                   ? QStringLiteral("the server closed the connection (is it "
                                                    "serving plain http?)")
                                   : m_sslErrors);
        else
            fail(Failure::Closed, m_parser.errorString());
    }
}

void EtcdConnection::onSocketError()
{
    if (!m_socket)
        return;
    const QAbstractSocket::SocketError e = m_socket->error();
    if (e == QAbstractSocket::RemoteHostClosedError)
        return onPeerClosed();
    if (!m_busy) {
        closeSocket();
        m_idle = false;
        emit lost();
        return;
    }
    if (retryOnFreshConnection())
        return;
    auto *ssl = qobject_cast<QSslSocket *>(m_socket);
    const QString text = m_socket->errorString();
    if (e == QAbstractSocket::ConnectionRefusedError)
        fail(Failure::Refused, text);
    else if (e == QAbstractSocket::HostNotFoundError)
        fail(Failure::HostNotFound, text);
    else if (ssl && (e == QAbstractSocket::SslHandshakeFailedError || !m_sslErrors.isEmpty() ||
                     !ssl->isEncrypted() || text.contains(QLatin1String("SSL routines"))))
        // With TLS 1.3 a refused client certificate arrives as an alert after the handshake.
        fail(Failure::Tls, m_sslErrors.isEmpty() ? text : m_sslErrors);
    else
        fail(Failure::Socket, text);
}

bool EtcdConnection::retryOnFreshConnection()
{
    // An idle keep-alive connection can be closed by etcd just as a request goes out; with no
    // byte of an answer, the request was not served and goes out again on a new connection.
    if (!m_reused || m_sawBytes || !m_busy)
        return false;
    m_reused = false;
    m_parser.reset();
    connectSocket();
    return true;
}

void EtcdConnection::fail(Failure failure, const QString &text)
{
    m_failure = failure;
    m_failureText = text;
    if (failure == Failure::TooLarge)
        m_body = QByteArray(); // give the memory back at once
    closeSocket();
    complete();
}

void EtcdConnection::complete()
{
    if (!m_busy)
        return;
    m_busy = false;
    const QByteArray connection = m_parser.header("Connection").toLower();
    m_idle = m_failure == Failure::None && m_socket && !m_streaming &&
             m_socket->state() == QAbstractSocket::ConnectedState &&
             m_parser.httpMinorVersion() == 1 &&
             m_parser.bodyKind() != HttpResponseParser::BodyKind::UntilClose &&
             !connection.contains("close") && m_socket->bytesAvailable() == 0;
    if (!m_idle)
        closeSocket();
    if (m_inSend)
        QMetaObject::invokeMethod(this, &EtcdConnection::finished, Qt::QueuedConnection);
    else
        emit finished();
}

void EtcdConnection::abort()
{
    m_busy = false;
    m_idle = false;
    closeSocket();
}

void EtcdConnection::closeSocket()
{
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    if (!socket)
        return;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}
