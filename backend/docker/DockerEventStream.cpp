#include "docker/DockerEventStream.h"

#include "docker/DockerApiCall.h"

#include <QJsonDocument>
#include <QPointer>
#include <QRegularExpression>
#include <QUrl>

struct DockerEventStream::Private {
    DockerEndpoint endpoint;
    QPointer<DockerApiCall> call;
    QByteArray pending;    // a partial NDJSON line
    bool skipping = false; // inside an over-long line: bytes are dropped up to its end
    int timeoutMs = 10000;
    qsizetype maxLineBytes = 1024 * 1024;
};

DockerEventStream::DockerEventStream(DockerEndpoint endpoint, QObject *parent)
    : QObject(parent), d(new Private)
{
    d->endpoint = std::move(endpoint);
}

DockerEventStream::~DockerEventStream()
{
    stop();
    delete d;
}

void DockerEventStream::setTimeout(int timeoutMs)
{
    d->timeoutMs = timeoutMs;
}

void DockerEventStream::setMaxLineBytes(qsizetype bytes)
{
    d->maxLineBytes = bytes;
}

bool DockerEventStream::isRunning() const
{
    return !d->call.isNull();
}

QByteArray DockerEventStream::eventsTarget(const QString &apiVersion)
{
    static const QByteArray filters = QUrl::toPercentEncoding(
        R"({"type":["container"],"event":["start","die","kill","health_status"]})");
    return '/' + apiVersion.toLatin1() + "/events?filters=" + filters;
}

void DockerEventStream::stop()
{
    if (!d->call)
        return;
    DockerApiCall *call = d->call;
    d->call = nullptr;
    call->abort();
    call->deleteLater();
    d->pending.clear();
    d->skipping = false;
}

void DockerEventStream::fail(const QString &error)
{
    stop();
    emit closed(error);
}

QString DockerEventStream::overLong() const
{
    return QStringLiteral("Docker at %1 sent an event longer than %2 bytes; it was dropped")
        .arg(d->endpoint.describe())
        .arg(d->maxLineBytes);
}

void DockerEventStream::start(const QString &apiVersion)
{
    stop();
    static const QRegularExpression versionPattern(QStringLiteral("^v[0-9]{1,3}\\.[0-9]{1,3}$"));
    if (!versionPattern.match(apiVersion).hasMatch()) {
        const QString error = QStringLiteral("cannot open the Docker event stream: API version "
                                             "\"%1\" is not like v1.41 (ping first)")
                                  .arg(apiVersion.left(40));
        QMetaObject::invokeMethod(
            this, [this, error] { emit closed(error); }, Qt::QueuedConnection);
        return;
    }

    auto *call = new DockerApiCall(d->endpoint, "GET", eventsTarget(apiVersion), this);
    d->call = call;
    call->setTimeout(d->timeoutMs);
    call->setStreaming(true);

    connect(call, &DockerApiCall::headersReceived, this, [this, call] {
        if (call == d->call && call->response().statusCode() == 200)
            emit opened();
    });
    connect(call, &DockerApiCall::bodyData, this, [this, call](const QByteArray &bytes) {
        if (call != d->call || call->response().statusCode() != 200)
            return;
        QByteArrayView data(bytes);
        if (d->skipping) {
            // The rest of an over-long line is dropped as it comes, never buffered.
            const qsizetype lf = data.indexOf('\n');
            if (lf < 0)
                return;
            d->skipping = false;
            data = data.sliced(lf + 1);
        }
        d->pending.append(data);
        qsizetype start = 0;
        QPointer<DockerEventStream> self(this);
        for (;;) {
            const qsizetype lf = d->pending.indexOf('\n', start);
            if (lf < 0)
                break;
            const QByteArrayView line = QByteArrayView(d->pending).sliced(start, lf - start);
            start = lf + 1;
            if (line.size() > d->maxLineBytes) {
                emit eventDropped(overLong());
                if (!self || call != d->call)
                    return;
                continue;
            }
            if (line.trimmed().isEmpty())
                continue;
            QJsonParseError error{};
            const QJsonDocument doc = QJsonDocument::fromJson(line.toByteArray(), &error);
            if (!doc.isObject())
                return fail(
                    QStringLiteral("Docker at %1 sent an event that is not a JSON "
                                   "object: %2")
                        .arg(d->endpoint.describe(), error.error != QJsonParseError::NoError
                                                         ? error.errorString()
                                                         : QStringLiteral("wrong JSON type")));
            emit eventReceived(ContainerEvent::fromJson(doc.object()));
            if (!self || call != d->call)
                return; // stopped or destroyed by a receiver
        }
        d->pending.remove(0, start);
        if (d->pending.size() > d->maxLineBytes) {
            d->pending.clear();
            d->skipping = true;
            emit eventDropped(overLong());
        }
    });
    connect(call, &DockerApiCall::finished, this, [this, call](const QString &callError) {
        if (call != d->call)
            return;
        QString error = callError;
        const int status = call->response().statusCode();
        if (error.isEmpty() && status != 200) {
            QString message = QString::fromUtf8(call->body().left(300)).simplified();
            const QJsonDocument doc = QJsonDocument::fromJson(call->body());
            if (doc.isObject() && doc.object().value(QLatin1String("message")).isString())
                message = doc.object().value(QLatin1String("message")).toString();
            error = QStringLiteral("Docker at %1 answered %2 to the event stream request: %3")
                        .arg(d->endpoint.describe())
                        .arg(status)
                        .arg(message);
        } else if (error.isEmpty()) {
            error =
                QStringLiteral("Docker at %1 ended the event stream").arg(d->endpoint.describe());
        }
        d->call = nullptr;
        call->deleteLater();
        d->pending.clear();
        emit closed(error);
    });
    call->start();
}
