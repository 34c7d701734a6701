#include "etcd/EtcdReply.h"

#include <QJsonDocument>
#include <QNetworkReply>
#include <QSslError>
#include <QStringList>
#include <QTimer>

namespace {
constexpr int GrpcUnavailable = 14;

// A reply that got no HTTP answer: timeout, refused, unreachable or TLS.
EtcdError transportError(QNetworkReply *reply, const QString &endpoint, const QString &where,
                         const QString &certFile)
{
    const auto err = reply->error();
    const int timedOutAfterMs = reply->property("portolanTimedOut").toInt();
    EtcdError e;
    e.kind = EtcdError::Kind::Connection;
    if (timedOutAfterMs > 0) {
        e.kind = EtcdError::Kind::Timeout;
        e.message =
            QStringLiteral("%1 did not answer within %2 ms").arg(where).arg(timedOutAfterMs);
    } else if (err == QNetworkReply::ConnectionRefusedError) {
        e.message = where + QStringLiteral(" refused the connection");
    } else if (err == QNetworkReply::HostNotFoundError) {
        e.message = where + QStringLiteral(": host name not found");
    } else if (err == QNetworkReply::RemoteHostClosedError &&
               !endpoint.startsWith(QLatin1String("https:"))) {
        e.message = where + QStringLiteral(" closed the connection");
    } else if (err == QNetworkReply::SslHandshakeFailedError ||
               !reply->property("portolanSslErrors").toString().isEmpty() ||
               (endpoint.startsWith(QLatin1String("https:")) &&
                (!reply->property("portolanEncrypted").toBool() ||
                 reply->errorString().contains(QLatin1String("SSL routines"))))) {
        // With TLS 1.3 a refused client certificate arrives as an alert after the
        // handshake; it is still a TLS problem for the person reading the message.
        e.kind = EtcdError::Kind::Tls;
        QString reason = reply->property("portolanSslErrors").toString();
        if (reason.isEmpty() && err == QNetworkReply::RemoteHostClosedError)
            reason = QStringLiteral("the server closed the connection (is it serving "
                                    "plain http?)");
        if (reason.isEmpty())
            reason = reply->errorString();
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
        e.message = where + QStringLiteral(": TLS handshake failed: ") + reason;
    } else {
        e.message = where + QStringLiteral(": ") + reply->errorString();
    }
    return e;
}

// An HTTP answer outside 2xx: "unavailable" (try the next endpoint) or a rejection.
EtcdError httpError(const EtcdResponse &r, const QString &where, const QString &path)
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
        e.message = QStringLiteral("%1 is unavailable: %2").arg(where, msg);
    } else {
        e.kind = EtcdError::Kind::Rejected;
        e.message = QStringLiteral("%1 rejected %2: %3").arg(where, path, msg);
        if (e.grpcCode)
            e.message += QStringLiteral(" (code %1)").arg(e.grpcCode);
    }
    return e;
}
} // namespace

std::shared_ptr<QByteArray> EtcdReply::guard(QNetworkReply *reply, int timeoutMs, qint64 maxBytes)
{
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, reply, [reply, timeoutMs] {
        reply->setProperty("portolanTimedOut", timeoutMs);
        reply->abort();
    });
    timer->start(timeoutMs);
    QObject::connect(reply, &QNetworkReply::sslErrors, reply,
                     [reply](const QList<QSslError> &errors) {
                         QStringList text;
                         for (const QSslError &e : errors)
                             text << e.errorString();
                         reply->setProperty("portolanSslErrors", text.join(QStringLiteral("; ")));
                     });
    QObject::connect(reply, &QNetworkReply::encrypted, reply,
                     [reply] { reply->setProperty("portolanEncrypted", true); });

    // The body is gathered as it arrives and counted: a reply over the cap is cut off at once,
    // whether Content-Length announces it or the bytes just keep coming.
    auto body = std::make_shared<QByteArray>();
    const auto refuse = [reply, body] {
        reply->setProperty("portolanTooLarge", true);
        *body = QByteArray();
        reply->abort();
    };
    if (maxBytes > 0) {
        // Qt's network thread would otherwise read ahead of us as fast as the peer sends.
        reply->setReadBufferSize(1024 * 1024);
        QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, maxBytes, refuse] {
            const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
            if (length.isValid() && length.toLongLong() > maxBytes)
                refuse();
        });
        QObject::connect(reply, &QNetworkReply::readyRead, reply, [reply, body, maxBytes, refuse] {
            if (reply->property("portolanTooLarge").toBool())
                return;
            if (body->size() + reply->bytesAvailable() > maxBytes)
                return refuse();
            body->append(reply->readAll());
        });
    }
    return body;
}

EtcdResponse EtcdReply::read(QNetworkReply *reply, const QString &endpoint, QByteArray &gathered,
                             qint64 maxBytes, const QString &path, const QString &certFile)
{
    EtcdResponse r;
    r.endpoint = endpoint;
    const QString where = QStringLiteral("etcd at ") + EtcdClient::displayName(endpoint);
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (reply->isOpen() && !wasTooLarge(reply)) {
        r.body = std::move(gathered);
        if (maxBytes > 0 && r.body.size() + reply->bytesAvailable() > maxBytes) {
            r.body.clear();
            reply->setProperty("portolanTooLarge", true);
        } else {
            r.body += reply->readAll();
        }
    }
    const bool timedOut = reply->property("portolanTimedOut").toInt() > 0;

    if (wasTooLarge(reply)) {
        r.error = {EtcdError::Kind::Protocol, 0, status.toInt(),
                   EtcdClient::tooLargeMessage(endpoint, maxBytes)};
    } else if (timedOut || !status.isValid()) {
        r.error = transportError(reply, endpoint, where, certFile);
    } else {
        r.httpStatus = status.toInt();
        r.json = QJsonDocument::fromJson(r.body).object();
        if (r.httpStatus < 200 || r.httpStatus >= 300)
            r.error = httpError(r, where, path);
    }
    return r;
}

bool EtcdReply::wasTooLarge(const QNetworkReply *reply)
{
    return reply->property("portolanTooLarge").toBool();
}
