#include "docker/DockerClient.h"

#include "docker/DockerApiCall.h"

#include <QJsonObject>
#include <QLocalSocket>
#include <QPointer>
#include <QRegularExpression>
#include <QUrl>

namespace {
// Idle kept-alive connections for inspects: the sync runs 16 inspects at a time and hands each
// connection straight on, so only the few left once it is over wait here.
constexpr int MaxIdleConnections = 4;
} // namespace

struct DockerClient::Private {
    DockerEndpoint endpoint;
    QString apiVersion;
    int timeoutMs = 10000;
    QList<QLocalSocket *> idle; // children of the client

    QLocalSocket *takeIdle(DockerClient *client)
    {
        while (!idle.isEmpty()) {
            QLocalSocket *socket = idle.takeLast();
            socket->disconnect(client);
            if (socket->state() == QLocalSocket::ConnectedState && socket->bytesAvailable() == 0)
                return socket;
            socket->abort();
            socket->deleteLater();
        }
        return nullptr;
    }

    void keepIdle(DockerClient *client, QLocalSocket *socket)
    {
        if (idle.size() >= MaxIdleConnections) {
            socket->abort();
            socket->deleteLater();
            return;
        }
        socket->setParent(client);
        idle.append(socket);
        // The daemon may close an idle connection (or be restarted): forget it then.
        const auto drop = [this, socket] {
            if (idle.removeOne(socket)) {
                socket->abort();
                socket->deleteLater();
            }
        };
        QObject::connect(socket, &QLocalSocket::disconnected, client, drop);
        QObject::connect(socket, &QLocalSocket::readyRead, client, drop); // nothing is owed
        QObject::connect(socket, &QLocalSocket::errorOccurred, client, drop);
    }
};

namespace {

QString bodyMessage(const QByteArray &body, const QJsonDocument &json)
{
    if (json.isObject()) {
        const QString message = json.object().value(QLatin1String("message")).toString();
        if (!message.isEmpty())
            return message;
    }
    QString text = QString::fromUtf8(body.left(200)).simplified();
    return text.isEmpty() ? QStringLiteral("(no message)") : text;
}

DockerResult makeResult(const DockerEndpoint &endpoint, const DockerApiCall &call,
                        const QString &error)
{
    DockerResult r;
    const HttpResponseParser &response = call.response();
    if (response.headersDone())
        r.status = response.statusCode();
    if (!error.isEmpty()) {
        r.error = error;
        return r;
    }
    const QByteArray body = call.body();
    QJsonParseError parseError{};
    const QByteArray type = response.header("Content-Type").toLower();
    const bool jsonType = type.startsWith("application/json");
    if (!body.trimmed().isEmpty() && (jsonType || body.startsWith('{') || body.startsWith('['))) {
        r.json = QJsonDocument::fromJson(body, &parseError);
        if (parseError.error != QJsonParseError::NoError && jsonType && r.ok()) {
            r.error = QStringLiteral("Docker at %1 sent invalid JSON for %2 %3: %4")
                          .arg(endpoint.describe(), QString::fromLatin1(call.method()),
                               QString::fromLatin1(call.target()), parseError.errorString());
            return r;
        }
    }
    if (r.status < 200 || r.status >= 300) {
        r.error = QStringLiteral("Docker at %1 answered %2 %3 to %4 %5: %6")
                      .arg(endpoint.describe())
                      .arg(r.status)
                      .arg(QString::fromLatin1(response.reasonPhrase()),
                           QString::fromLatin1(call.method()), QString::fromLatin1(call.target()),
                           bodyMessage(body, r.json));
    }
    return r;
}

} // namespace

DockerClient::DockerClient(DockerEndpoint endpoint, QObject *parent)
    : QObject(parent), d(new Private)
{
    d->endpoint = std::move(endpoint);
}

DockerClient::~DockerClient()
{
    delete d;
}

const DockerEndpoint &DockerClient::endpoint() const
{
    return d->endpoint;
}

QString DockerClient::apiVersion() const
{
    return d->apiVersion;
}

void DockerClient::setTimeout(int timeoutMs)
{
    d->timeoutMs = timeoutMs;
}

int DockerClient::timeout() const
{
    return d->timeoutMs;
}

// Runs one call; `done` sees the call before it is deleted and only while `context` lives.
// A keep-alive call (unix sockets) reuses an idle connection and leaves its own for the next.
static void runCall(DockerClient *client, const DockerEndpoint &endpoint, int timeoutMs,
                    const QByteArray &target, QObject *context,
                    std::function<void(const DockerApiCall &, const QString &)> done,
                    std::function<QLocalSocket *()> takeIdle = {},
                    std::function<void(QLocalSocket *)> keepIdle = {})
{
    auto *call = new DockerApiCall(endpoint, "GET", target, client);
    call->setTimeout(timeoutMs);
    if (takeIdle && endpoint.kind == DockerEndpoint::Kind::Unix) {
        call->setKeepAlive(true);
        if (QLocalSocket *socket = takeIdle())
            call->adoptConnection(socket);
        // Before `done`, so that a call `done` starts can take this connection.
        QObject::connect(call, &DockerApiCall::finished, client,
                         [call, keepIdle = std::move(keepIdle)](const QString &error) {
                             if (QLocalSocket *socket =
                                     error.isEmpty() ? call->takeReusableConnection() : nullptr)
                                 keepIdle(socket);
                         });
    }
    QObject::connect(call, &DockerApiCall::finished, call, &QObject::deleteLater);
    QObject::connect(call, &DockerApiCall::finished, context ? context : client,
                     [call, done = std::move(done)](const QString &error) { done(*call, error); });
    call->start();
}

void DockerClient::ping(QObject *context, Callback done)
{
    const DockerEndpoint endpoint = d->endpoint;
    // The call runs against the client itself so the negotiated version is kept even when
    // `context` is gone by then; only `done` depends on the context.
    const QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    runCall(
        this, endpoint, d->timeoutMs, "/_ping", this,
        [this, guard, hadContext, endpoint, done](const DockerApiCall &call, const QString &error) {
            DockerResult r = makeResult(endpoint, call, error);
            if (r.ok()) {
                const QString version =
                    QString::fromLatin1(call.response().header("Api-Version")).trimmed();
                QString problem;
                if (negotiate(version, &problem))
                    d->apiVersion = QLatin1Char('v') + version;
                else
                    r.error = QStringLiteral("Docker at %1 %2").arg(endpoint.describe(), problem);
            }
            if (hadContext && !guard)
                return;
            done(r);
        });
}

// The daemon's own Api-Version is used as is when it is at least 1.24: newer daemons reject
// old versions (Docker 29 needs 1.44), and the fields Portolan reads exist in all of them.
bool DockerClient::negotiate(const QString &version, QString *problem)
{
    static const QRegularExpression pattern(QStringLiteral("^([0-9]{1,3})\\.([0-9]{1,3})$"));
    const auto m = pattern.match(version);
    if (version.isEmpty()) {
        *problem = QStringLiteral("did not send an Api-Version header on /_ping");
        return false;
    }
    if (!m.hasMatch()) {
        *problem = QStringLiteral("sent an unreadable Api-Version \"%1\"").arg(version.left(40));
        return false;
    }
    const int major = m.captured(1).toInt();
    const int minor = m.captured(2).toInt();
    if (major < 1 || (major == 1 && minor < MinimumApiMinor)) {
        *problem = QStringLiteral("speaks API %1, older than the oldest Portolan supports (1.%2)")
                       .arg(version)
                       .arg(MinimumApiMinor);
        return false;
    }
    return true;
}

void DockerClient::get(const QString &path, QObject *context, Callback done)
{
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    if (d->apiVersion.isEmpty()) {
        ping(context, [this, path, guard, hadContext, done](const DockerResult &r) {
            if (!r.ok()) {
                done(r);
                return;
            }
            if (hadContext && !guard)
                return;
            get(path, guard.data(), done);
        });
        return;
    }
    const QByteArray target = '/' + d->apiVersion.toLatin1() + path.toUtf8();
    const DockerEndpoint endpoint = d->endpoint;
    runCall(this, endpoint, d->timeoutMs, target, context,
            [endpoint, done](const DockerApiCall &call, const QString &error) {
                done(makeResult(endpoint, call, error));
            });
}

void DockerClient::listContainers(QObject *context, Callback done)
{
    get(QStringLiteral("/containers/json"), context, std::move(done));
}

void DockerClient::inspectContainer(const QString &id, QObject *context, Callback done)
{
    // An empty id would silently turn into a list call; percent-encoding keeps odd ids in the path.
    const QString encoded = QString::fromLatin1(QUrl::toPercentEncoding(id));
    const QString path = QStringLiteral("/containers/%1/json")
                             .arg(encoded.isEmpty() ? QStringLiteral("%20") : encoded);
    if (d->apiVersion.isEmpty())
        return get(path, context, std::move(done));
    // Inspects come in bursts (a sync: one per container): they share kept-alive connections.
    const QByteArray target = '/' + d->apiVersion.toLatin1() + path.toUtf8();
    const DockerEndpoint endpoint = d->endpoint;
    runCall(
        this, endpoint, d->timeoutMs, target, context,
        [endpoint, done = std::move(done)](const DockerApiCall &call, const QString &error) {
            done(makeResult(endpoint, call, error));
        },
        [this] { return d->takeIdle(this); },
        [this](QLocalSocket *socket) { d->keepIdle(this, socket); });
}

void DockerClient::version(QObject *context, Callback done)
{
    get(QStringLiteral("/version"), context, std::move(done));
}
