#include "etcd/EtcdReply.h"

#include "etcd/EtcdConnection.h"

#include <QJsonDocument>
#include <QUrl>

namespace {
constexpr int GrpcUnavailable = 14;

QString where(const QString &endpoint)
{
    return QStringLiteral("etcd at ") + EtcdClient::displayName(endpoint);
}

// An exchange that got no HTTP answer: refused, unreachable, closed or TLS.
EtcdError transportError(const EtcdConnection &c, const QString &endpoint, const QString &certFile)
{
    using Failure = EtcdConnection::Failure;
    const QString at = where(endpoint);
    EtcdError e;
    e.kind = EtcdError::Kind::Connection;
    switch (c.failure()) {
    case Failure::Refused:
        e.message = at + QStringLiteral(" refused the connection");
        break;
    case Failure::HostNotFound:
        e.message = at + QStringLiteral(": host name not found");
        break;
    case Failure::Closed:
        e.message = at + QStringLiteral(" closed the connection");
        break;
    case Failure::BadResponse:
        e.message = at + QStringLiteral(" sent an invalid HTTP response: ") + c.failureText();
        break;
    case Failure::Tls: {
        e.kind = EtcdError::Kind::Tls;
        QString reason = c.failureText();
        // OpenSSL's alert text alone does not say what to fix.
        if (reason.contains(QLatin1String("alert bad certificate")) ||
            reason.contains(QLatin1String("certificate required"))) {
            reason += certFile.isEmpty()
                          ? QStringLiteral(" (etcd requires a client certificate and "
                                           "none is configured)")
                          : QStringLiteral(" (etcd did not accept the client "
                                           "certificate %1)")
                                .arg(certFile);
        }
        e.message = at + QStringLiteral(": TLS handshake failed: ") + reason;
        break;
    }
    default:
        e.message = at + QStringLiteral(": ") + c.failureText();
        break;
    }
    return e;
}

// An HTTP answer outside 2xx: "unavailable" (try the next endpoint) or a rejection.
EtcdError httpError(const EtcdResponse &r, const QString &at, const QString &path)
{
    EtcdError e;
    e.httpStatus = r.httpStatus;
    e.grpcCode = r.json.value(QLatin1String("code")).toInt();
    QString msg = r.json.value(QLatin1String("message")).toString();
    if (msg.isEmpty())
        msg = r.json.value(QLatin1String("error")).toString();
    if (msg.isEmpty())
        msg = QString::fromUtf8(r.body.left(200)).trimmed();
    if (msg.isEmpty())
        msg = QStringLiteral("HTTP %1").arg(r.httpStatus);
    if (r.httpStatus == 503 || e.grpcCode == GrpcUnavailable) {
        e.kind = EtcdError::Kind::Connection;
        e.message = QStringLiteral("%1 is unavailable: %2").arg(at, msg);
    } else {
        e.kind = EtcdError::Kind::Rejected;
        e.message = QStringLiteral("%1 rejected %2: %3").arg(at, path, msg);
        if (e.grpcCode)
            e.message += QStringLiteral(" (code %1)").arg(e.grpcCode);
    }
    return e;
}
} // namespace

// EtcdClient's message shapers live here, beside the sentences they are part of.
QString EtcdClient::displayName(const QString &endpoint)
{
    const QUrl u(endpoint);
    if (u.scheme() == QLatin1String("https"))
        return endpoint;
    return u.host() + QLatin1Char(':') + QString::number(u.port(2379));
}

QString EtcdClient::tooLargeMessage(const QString &endpoint, qint64 maxBytes, const QString &what)
{
    constexpr qint64 MiB = 1024 * 1024;
    const QString size = maxBytes % MiB == 0 ? QStringLiteral("%1 MiB").arg(maxBytes / MiB)
                                             : QStringLiteral("%1 bytes").arg(maxBytes);
    return QStringLiteral("etcd at %1 sent %2 larger than %3; refusing it")
        .arg(displayName(endpoint), what, size);
}

EtcdResponse EtcdReply::read(EtcdConnection &connection, const QString &endpoint, qint64 maxBytes,
                             const QString &path, const QString &certFile)
{
    EtcdResponse r;
    r.endpoint = endpoint;
    if (connection.failure() == EtcdConnection::Failure::TooLarge) {
        r.error = {EtcdError::Kind::Protocol, 0, connection.statusCode(),
                   EtcdClient::tooLargeMessage(endpoint, maxBytes)};
    } else if (connection.failure() != EtcdConnection::Failure::None) {
        r.error = transportError(connection, endpoint, certFile);
    } else {
        r.httpStatus = connection.statusCode();
        r.body = connection.takeBody();
        r.json = QJsonDocument::fromJson(r.body).object();
        if (r.httpStatus < 200 || r.httpStatus >= 300)
            r.error = httpError(r, where(endpoint), path);
    }
    return r;
}

EtcdResponse EtcdReply::timedOut(const QString &endpoint, int timeoutMs)
{
    EtcdResponse r;
    r.endpoint = endpoint;
    r.error = {
        EtcdError::Kind::Timeout, 0, 0,
        QStringLiteral("%1 did not answer within %2 ms").arg(where(endpoint)).arg(timeoutMs)};
    return r;
}
