#include "docker/DockerApiCall.h"

#include "http/HttpRequest.h"

#include <QDir>
#include <QFile>
#include <QLocalSocket>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

namespace {

// Enough for any error message Docker sends; a streaming call's error body is cut here.
constexpr qsizetype MaxErrorBodyBytes = 64 * 1024;

QString localSocketError(QLocalSocket::LocalSocketError e, const QString &fallback)
{
    switch (e) {
    case QLocalSocket::ConnectionRefusedError:
        return QStringLiteral("connection refused (is dockerd running?)");
    case QLocalSocket::ServerNotFoundError:
        return QStringLiteral("no socket at that path (is dockerd running?)");
    case QLocalSocket::SocketAccessError:
        return QStringLiteral("permission denied (is this user allowed to use the Docker socket?)");
    default:
        return fallback;
    }
}

QString tcpSocketError(QAbstractSocket::SocketError e, const QString &fallback)
{
    switch (e) {
    case QAbstractSocket::ConnectionRefusedError:
        return QStringLiteral("connection refused");
    case QAbstractSocket::HostNotFoundError:
        return QStringLiteral("host not found");
    case QAbstractSocket::NetworkError:
        return QStringLiteral("network error: %1").arg(fallback);
    case QAbstractSocket::SslHandshakeFailedError:
        return QStringLiteral("TLS handshake failed: %1").arg(fallback);
    default:
        return fallback;
    }
}

QSslKey readKey(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray pem = f.readAll();
    for (auto algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem);
        if (!key.isNull())
            return key;
    }
    return {};
}

} // namespace

DockerApiCall::DockerApiCall(const DockerEndpoint &endpoint, const QByteArray &method,
                             const QByteArray &target, QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_method(method), m_target(target)
{
}

DockerApiCall::~DockerApiCall()
{
    closeSocket();
    if (m_reusable)
        m_reusable->abort(); // not taken: a child of this call, deleted with it
}

void DockerApiCall::setTimeout(int timeoutMs)
{
    m_timeoutMs = timeoutMs;
}

void DockerApiCall::setStreaming(bool streaming)
{
    m_streaming = streaming;
}

void DockerApiCall::setLimits(const HttpLimits &limits)
{
    m_limits = limits;
}

void DockerApiCall::setKeepAlive(bool keepAlive)
{
    m_keepAlive = keepAlive && !m_streaming;
}

void DockerApiCall::adoptConnection(QLocalSocket *socket)
{
    socket->setParent(this);
    m_socket = socket;
    m_reusedConnection = true;
}

QLocalSocket *DockerApiCall::takeReusableConnection()
{
    QLocalSocket *socket = m_reusable;
    m_reusable = nullptr;
    if (socket)
        socket->setParent(nullptr);
    return socket;
}

bool DockerApiCall::isStreamingBody() const
{
    return m_streaming && m_parser.statusCode() >= 200 && m_parser.statusCode() < 300;
}

void DockerApiCall::start()
{
    m_inStart = true;
    startCall();
    m_inStart = false;
}

void DockerApiCall::startCall()
{
    HttpLimits limits = m_limits;
    if (m_streaming)
        limits.maxBodyBytes = -1; // each chunk stays bounded by maxChunkSize
    m_parser = HttpResponseParser(limits);
    m_parser.setHeadRequest(m_method == "HEAD");

    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &DockerApiCall::onTimeout);
    m_timer->start(m_timeoutMs);

    if (m_endpoint.kind == DockerEndpoint::Kind::Unix) {
        auto *adopted = qobject_cast<QLocalSocket *>(m_socket);
        if (adopted && adopted->state() == QLocalSocket::ConnectedState) {
            watchUnixSocket(adopted);
            onConnected();
            return;
        }
        if (adopted)
            closeSocket();
        m_reusedConnection = false;
        connectUnix();
        return;
    }

    QTcpSocket *socket = nullptr;
    if (m_endpoint.tls) {
        auto *ssl = new QSslSocket(this);
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        const QDir dir(m_endpoint.certPath);
        const auto ca = QSslCertificate::fromPath(dir.filePath(QStringLiteral("ca.pem")));
        if (!ca.isEmpty())
            config.setCaCertificates(ca);
        const auto cert = QSslCertificate::fromPath(dir.filePath(QStringLiteral("cert.pem")));
        if (!cert.isEmpty()) {
            config.setLocalCertificate(cert.first());
            config.setPrivateKey(readKey(dir.filePath(QStringLiteral("key.pem"))));
        }
        config.setPeerVerifyMode(m_endpoint.tlsVerify ? QSslSocket::VerifyPeer
                                                      : QSslSocket::VerifyNone);
        ssl->setSslConfiguration(config);
        connect(ssl, &QSslSocket::encrypted, this, &DockerApiCall::onConnected);
        socket = ssl;
    } else {
        socket = new QTcpSocket(this);
        connect(socket, &QTcpSocket::connected, this, &DockerApiCall::onConnected);
    }
    m_socket = socket;
    connect(socket, &QTcpSocket::readyRead, this, &DockerApiCall::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &DockerApiCall::onPeerClosed);
    connect(socket, &QTcpSocket::errorOccurred, this,
            [this, socket](QAbstractSocket::SocketError e) {
                auto *ssl = qobject_cast<QSslSocket *>(socket);
                const bool network = e == QAbstractSocket::ConnectionRefusedError ||
                                     e == QAbstractSocket::HostNotFoundError ||
                                     e == QAbstractSocket::RemoteHostClosedError;
                if (e == QAbstractSocket::RemoteHostClosedError && (!ssl || ssl->isEncrypted()))
                    onPeerClosed();
                else if (ssl && !network)
                    // With TLS 1.3 a rejected client certificate shows up after the handshake.
                    onSocketError(QStringLiteral("%1: %2").arg(
                        ssl->isEncrypted() ? QStringLiteral("TLS error")
                                           : QStringLiteral("TLS handshake failed"),
                        socket->errorString()));
                else
                    onSocketError(tcpSocketError(e, socket->errorString()));
            });
    if (auto *ssl = qobject_cast<QSslSocket *>(socket))
        ssl->connectToHostEncrypted(m_endpoint.host, m_endpoint.port);
    else
        socket->connectToHost(m_endpoint.host, m_endpoint.port);
}

void DockerApiCall::connectUnix()
{
    auto *socket = new QLocalSocket(this);
    m_socket = socket;
    connect(socket, &QLocalSocket::connected, this, &DockerApiCall::onConnected);
    watchUnixSocket(socket);
    socket->connectToServer(m_endpoint.socketPath);
}

void DockerApiCall::watchUnixSocket(QLocalSocket *socket)
{
    connect(socket, &QLocalSocket::readyRead, this, &DockerApiCall::onReadyRead);
    connect(socket, &QLocalSocket::disconnected, this, &DockerApiCall::onPeerClosed);
    connect(socket, &QLocalSocket::errorOccurred, this,
            [this, socket](QLocalSocket::LocalSocketError e) {
                if (e == QLocalSocket::PeerClosedError)
                    onPeerClosed();
                else
                    onSocketError(localSocketError(e, socket->errorString()));
            });
}

bool DockerApiCall::retryOnFreshConnection()
{
    // An idle kept-alive connection can be closed by the daemon just as a request goes out;
    // with no byte of an answer, the request was not processed and is sent again.
    if (!m_reusedConnection || m_sawBytes || m_done)
        return false;
    m_reusedConnection = false;
    closeSocket();
    m_timer->start(m_timeoutMs); // closeSocket() stopped it; a fresh deadline for the retry
    connectUnix();
    return true;
}

void DockerApiCall::abort()
{
    m_done = true;
    closeSocket();
}

void DockerApiCall::onConnected()
{
    if (m_done)
        return;
    HttpRequest request;
    request.method = m_method;
    request.target = m_target;
    request.headers.append(
        qMakePair(QByteArray("User-Agent"), QByteArray("Portolan/" PORTOLAN_VERSION)));
    request.keepAlive = m_keepAlive;
    QString error;
    const QByteArray bytes = request.serialize(&error);
    if (bytes.isEmpty()) {
        complete(QStringLiteral("Docker at %1: cannot send %2: %3")
                     .arg(m_endpoint.describe(), QString::fromLatin1(m_method), error));
        return;
    }
    m_socket->write(bytes);
    // Out now, not on the next pass of the event loop: saves a poll round on the hot path.
    if (auto *local = qobject_cast<QLocalSocket *>(m_socket))
        local->flush();
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(m_socket))
        tcp->flush();
}

void DockerApiCall::onReadyRead()
{
    if (m_done || !m_socket)
        return;
    const QByteArray data = m_socket->readAll();
    if (data.isEmpty())
        return;
    m_sawBytes = true;
    // Body bytes are gathered during feed() and signalled afterwards, so a receiver that
    // aborts or deletes this call never does so from inside the parser.
    QByteArray streamed;
    m_parser.setBodyCallback([this, &streamed](QByteArrayView bytes) {
        if (isStreamingBody())
            streamed.append(bytes);
        else if (!m_streaming || m_body.size() < MaxErrorBodyBytes)
            m_body.append(bytes);
    });
    const bool ok = m_parser.feed(data);
    m_parser.setBodyCallback({});

    QPointer<DockerApiCall> self(this);
    if (!m_sawHeaders && m_parser.headersDone()) {
        m_sawHeaders = true;
        if (m_streaming && m_timer)
            m_timer->stop(); // events have no heartbeat: the stream may be silent for hours
        emit headersReceived();
        if (!self || m_done)
            return;
    }
    if (!streamed.isEmpty()) {
        emit bodyData(streamed);
        if (!self || m_done)
            return;
    }
    if (!ok) {
        complete(QStringLiteral("Docker at %1 sent an invalid HTTP response to %2 %3: %4")
                     .arg(m_endpoint.describe(), QString::fromLatin1(m_method),
                          QString::fromLatin1(m_target), m_parser.errorString()));
    } else if (m_parser.isComplete()) {
        complete(QString());
    }
}

void DockerApiCall::onPeerClosed()
{
    if (m_done || !m_socket)
        return;
    if (m_socket->bytesAvailable() == 0 && retryOnFreshConnection())
        return;
    if (m_socket->bytesAvailable() > 0) {
        QPointer<DockerApiCall> self(this);
        onReadyRead();
        if (!self || m_done)
            return;
    }
    if (m_parser.finish()) {
        complete(QString());
        return;
    }
    complete(QStringLiteral("Docker at %1: %2 (%3 %4)")
                 .arg(m_endpoint.describe(), m_parser.errorString(), QString::fromLatin1(m_method),
                      QString::fromLatin1(m_target)));
}

void DockerApiCall::onSocketError(const QString &reason)
{
    if (m_done || retryOnFreshConnection())
        return;
    complete(QStringLiteral("Docker at %1: %2").arg(m_endpoint.describe(), reason));
}

void DockerApiCall::onTimeout()
{
    if (m_done)
        return;
    const QString seconds = QString::number(m_timeoutMs / 1000.0, 'g', 3);
    bool connected = false;
    if (auto *local = qobject_cast<QLocalSocket *>(m_socket))
        connected = local->state() == QLocalSocket::ConnectedState;
    else if (auto *ssl = qobject_cast<QSslSocket *>(m_socket))
        connected = ssl->isEncrypted();
    else if (auto *tcp = qobject_cast<QTcpSocket *>(m_socket))
        connected = tcp->state() == QAbstractSocket::ConnectedState;
    if (!connected)
        complete(QStringLiteral("Docker at %1: could not connect within %2 s")
                     .arg(m_endpoint.describe(), seconds));
    else
        complete(QStringLiteral("Docker at %1: no complete answer to %2 %3 within %4 s")
                     .arg(m_endpoint.describe(), QString::fromLatin1(m_method),
                          QString::fromLatin1(m_target), seconds));
}

void DockerApiCall::complete(const QString &error)
{
    if (m_done)
        return;
    m_done = true;
    auto *local = qobject_cast<QLocalSocket *>(m_socket);
    const QByteArray connection = m_parser.header("Connection").toLower();
    if (error.isEmpty() && m_keepAlive && local && m_parser.isComplete() &&
        m_parser.httpMinorVersion() == 1 &&
        m_parser.bodyKind() != HttpResponseParser::BodyKind::UntilClose &&
        !connection.contains("close") && local->state() == QLocalSocket::ConnectedState &&
        local->bytesAvailable() == 0) {
        if (m_timer)
            m_timer->stop();
        local->disconnect(this);
        m_socket = nullptr;
        m_reusable = local;
    } else {
        closeSocket();
    }
    // A socket may fail inside connectToServer(), and a caller must never see its callback run
    // before start() has returned; an answer read from the socket is handed on at once.
    if (m_inStart)
        QMetaObject::invokeMethod(
            this, [this, error] { emit finished(error); }, Qt::QueuedConnection);
    else
        emit finished(error);
}

void DockerApiCall::closeSocket()
{
    if (m_timer)
        m_timer->stop();
    if (!m_socket)
        return;
    QIODevice *socket = m_socket;
    m_socket = nullptr;
    socket->disconnect(this);
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->abort();
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->abort();
    socket->deleteLater();
}
