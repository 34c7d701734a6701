#include "etcd/EtcdClient.h"

#include "core/PemFiles.h"
#include "etcd/EtcdConnection.h"
#include "etcd/EtcdConnectionPool.h"
#include "etcd/EtcdReply.h"
#include "http/HttpRequest.h"

#include <QJsonDocument>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>
#include <algorithm>

namespace {
constexpr int GrpcUnauthenticated = 16;

bool isInvalidToken(const EtcdResponse &r)
{
    const QString m = r.error.message;
    return r.error.grpcCode == GrpcUnauthenticated ||
           m.contains(QLatin1String("invalid auth token"));
}
} // namespace

struct EtcdClient::Call {
    EtcdRequest request;
    QPointer<QObject> context;
    bool hasContext = false;
    Callback callback;
    int index = 0; // endpoint being tried
    int tried = 0; // endpoints tried so far
    bool reauthenticated = false;
    QStringList failures;
};

EtcdClient::EtcdClient(const EtcdClientOptions &options, QObject *parent)
    : QObject(parent), m_options(options)
{
    for (QString &e : m_options.endpoints) {
        while (e.endsWith(QLatin1Char('/')))
            e.chop(1);
    }
    if (m_options.endpoints.isEmpty()) {
        m_configError = {EtcdError::Kind::Config, 0, 0,
                         QStringLiteral("no etcd endpoint configured")};
    }
    // Loading the TLS backend maps OpenSSL (about 4 MiB) and costs ~25 M instructions at start:
    // only pay for it when some endpoint or file asks for TLS.
    const bool wantsTls =
        !m_options.caFile.isEmpty() || !m_options.certFile.isEmpty() ||
        !m_options.keyFile.isEmpty() ||
        std::any_of(m_options.endpoints.cbegin(), m_options.endpoints.cend(),
                    [](const QString &e) { return e.startsWith(QLatin1String("https:")); });
    if (wantsTls)
        loadTls();
    for (const QString &e : std::as_const(m_options.endpoints))
        m_pools.append(new EtcdConnectionPool(e, m_ssl.get(), this));
}

EtcdClient::~EtcdClient() = default;

void EtcdClient::loadTls()
{
    m_ssl = std::make_unique<QSslConfiguration>(QSslConfiguration::defaultConfiguration());
    auto fail = [this](const QString &message) {
        m_configError = {EtcdError::Kind::Config, 0, 0, message};
    };
    QString error;
    if (!m_options.caFile.isEmpty()) {
        const auto certs = PemFiles::certificates(m_options.caFile, "etcd CA file", &error);
        if (!certs)
            return fail(error);
        m_ssl->setCaCertificates(*certs);
    }
    if (!m_options.certFile.isEmpty()) {
        const auto certs =
            PemFiles::certificates(m_options.certFile, "etcd client certificate", &error);
        if (!certs)
            return fail(error);
        m_ssl->setLocalCertificateChain(*certs);
    }
    if (!m_options.keyFile.isEmpty()) {
        const auto key = PemFiles::privateKey(m_options.keyFile, "etcd client key", &error);
        if (!key)
            return fail(error);
        m_ssl->setPrivateKey(*key);
    }
}

QString EtcdClient::currentEndpoint() const
{
    return m_options.endpoints.value(m_current);
}

QByteArray EtcdClient::serialize(const QString &endpoint, const EtcdRequest &request,
                                 QString *error) const
{
    HttpRequest r;
    r.method = request.method;
    r.target = request.path.toUtf8();
    r.host = QUrl(endpoint).authority().toUtf8();
    r.keepAlive = true;
    if (!request.body.isEmpty() || request.method != "GET")
        r.headers.append(qMakePair(QByteArray("Content-Type"), request.contentType));
    // Fail fast when the member has no leader instead of waiting out the gateway's deadline.
    r.headers.append(qMakePair(QByteArray("Grpc-Metadata-hasleader"), QByteArray("true")));
    if (request.v3Auth && !m_options.username.isEmpty() && !m_token.isEmpty())
        r.headers.append(qMakePair(QByteArray("Authorization"), m_token));
    r.body = request.body;
    return r.serialize(error);
}

void EtcdClient::send(const EtcdRequest &request, QObject *context, Callback callback)
{
    auto call = std::make_shared<Call>();
    call->request = request;
    call->context = context;
    call->hasContext = context != nullptr;
    call->callback = std::move(callback);
    call->index = m_current;
    attempt(call);
}

void EtcdClient::post(const QString &path, const QJsonObject &body, QObject *context,
                      Callback callback)
{
    EtcdRequest r;
    r.path = path;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    send(r, context, std::move(callback));
}

void EtcdClient::finish(const std::shared_ptr<Call> &call, const EtcdResponse &response)
{
    if (call->hasContext && !call->context)
        return;
    if (call->callback)
        call->callback(response);
}

void EtcdClient::attempt(const std::shared_ptr<Call> &call)
{
    if (m_configError.isError()) {
        EtcdResponse r;
        r.error = m_configError;
        // Deliver later so callers never see their callback run inside their own call.
        QTimer::singleShot(0, this, [this, call, r] { finish(call, r); });
        return;
    }
    if (call->request.v3Auth && !m_options.username.isEmpty() && m_token.isEmpty() &&
        !m_authDisabled) {
        ensureAuthenticated(this, [this, call](const EtcdResponse &auth) {
            if (auth.error.isError())
                finish(call, auth);
            else
                attempt(call);
        });
        return;
    }

    const QString endpoint = m_options.endpoints.at(call->index);
    QString error;
    const QByteArray bytes = serialize(endpoint, call->request, &error);
    if (bytes.isEmpty()) {
        EtcdResponse r;
        r.endpoint = endpoint;
        r.error = {EtcdError::Kind::Protocol, 0, 0,
                   QStringLiteral("cannot send %1 to etcd at %2: %3")
                       .arg(call->request.path, displayName(endpoint), error)};
        QTimer::singleShot(0, this, [this, call, r] { finish(call, r); });
        return;
    }
    // With another endpoint left to try, give up on this one sooner: a request to a killed
    // leader, or to a member waiting for a new one, can hang much longer than an election takes.
    const bool canFailOver = call->tried + 1 < m_options.endpoints.size();
    const int timeoutMs = canFailOver ? std::min(m_options.requestTimeoutMs, FailoverTimeoutMs)
                                      : m_options.requestTimeoutMs;
    const qint64 maxBytes = m_options.maxReplyBytes;
    EtcdConnectionPool *pool = m_pools.at(call->index);

    // The deadline covers waiting for a free connection, connecting, TLS and the whole answer.
    // The timer goes (deleteLater) when the attempt ends, and with it what its handler holds.
    struct Exchange {
        QTimer *timer = nullptr;
        EtcdConnection *connection = nullptr;
        quint64 ticket = 0;
    };
    auto exchange = std::make_shared<Exchange>();
    exchange->timer = new QTimer(this);
    exchange->timer->setSingleShot(true);
    connect(exchange->timer, &QTimer::timeout, this,
            [this, call, exchange, pool, endpoint, timeoutMs] {
                exchange->timer->deleteLater();
                if (EtcdConnection *c = std::exchange(exchange->connection, nullptr)) {
                    c->disconnect(this);
                    c->abort();
                    pool->release(c);
                } else {
                    pool->cancel(exchange->ticket);
                }
                settle(call, EtcdReply::timedOut(endpoint, timeoutMs));
            });
    exchange->timer->start(timeoutMs);
    exchange->ticket =
        pool->acquire([this, call, exchange, pool, endpoint, bytes, maxBytes](EtcdConnection *c) {
            exchange->connection = c;
            connect(
                c, &EtcdConnection::finished, this,
                [this, call, exchange, pool, endpoint, maxBytes, c] {
                    exchange->timer->stop();
                    exchange->timer->deleteLater();
                    exchange->connection = nullptr;
                    c->disconnect(this);
                    EtcdResponse r = EtcdReply::read(*c, endpoint, maxBytes, call->request.path,
                                                     m_options.certFile);
                    pool->release(c);
                    settle(call, std::move(r));
                },
                Qt::SingleShotConnection);
            c->send(bytes, maxBytes);
        });
}

void EtcdClient::settle(const std::shared_ptr<Call> &call, EtcdResponse r)
{
    if (!r.error.isError()) {
        m_current = call->index;
        finish(call, r);
        return;
    }
    if (r.error.kind == EtcdError::Kind::Rejected && call->request.v3Auth &&
        !m_options.username.isEmpty() && !call->reauthenticated &&
        (isInvalidToken(r) || r.error.message.contains(QLatin1String("user name is empty")))) {
        call->reauthenticated = true;
        m_token.clear();
        m_authDisabled = false;
        attempt(call);
        return;
    }
    if (r.error.isTransport()) {
        call->failures << r.error.message;
        if (++call->tried < m_options.endpoints.size()) {
            call->index = (call->index + 1) % m_options.endpoints.size();
            attempt(call);
            return;
        }
        if (call->failures.size() > 1)
            r.error.message = QStringLiteral("no etcd endpoint answered: ") +
                              call->failures.join(QStringLiteral("; "));
    }
    finish(call, r);
}

void EtcdClient::ensureAuthenticated(QObject *context, Callback callback)
{
    if (m_options.username.isEmpty() || !m_token.isEmpty() || m_authDisabled) {
        EtcdResponse ok;
        ok.endpoint = currentEndpoint();
        QPointer<QObject> ctx = context;
        const bool hasContext = context != nullptr;
        QTimer::singleShot(0, this, [ctx, hasContext, callback, ok] {
            if (!hasContext || ctx)
                callback(ok);
        });
        return;
    }
    m_authWaiters.append({QPointer<QObject>(context), std::move(callback)});
    if (context == nullptr)
        m_authWaiters.last().first = this; // no context: live as long as the client
    if (!m_authenticating)
        authenticate();
}

void EtcdClient::authenticate()
{
    m_authenticating = true;
    EtcdRequest r;
    r.path = QStringLiteral("/v3/auth/authenticate");
    r.v3Auth = false;
    r.body = QJsonDocument(QJsonObject{{QStringLiteral("name"), m_options.username},
                                       {QStringLiteral("password"), m_options.password}})
                 .toJson(QJsonDocument::Compact);
    send(r, this, [this](const EtcdResponse &resp) {
        m_authenticating = false;
        EtcdResponse result = resp;
        if (!resp.error.isError()) {
            m_token = resp.json.value(QLatin1String("token")).toString().toUtf8();
            ++m_authentications;
            if (m_token.isEmpty()) {
                result.error = {EtcdError::Kind::Protocol, 0, resp.httpStatus,
                                QStringLiteral("etcd at %1 answered authenticate without a token")
                                    .arg(displayName(resp.endpoint))};
            }
        } else if (resp.error.message.contains(QLatin1String("authentication is not enabled"))) {
            // A user is configured but etcd runs without auth: go on without a token.
            m_authDisabled = true;
            result.error = EtcdError();
        } else if (resp.error.kind == EtcdError::Kind::Rejected) {
            result.error.kind = EtcdError::Kind::Auth;
            result.error.message = QStringLiteral("etcd at %1 did not accept user \"%2\": %3")
                                       .arg(displayName(resp.endpoint), m_options.username,
                                            resp.json.value(QLatin1String("message")).toString());
        }
        const auto waiters = std::exchange(m_authWaiters, {});
        for (const auto &[ctx, cb] : waiters) {
            if (ctx && cb)
                cb(result);
        }
    });
}

EtcdConnection *EtcdClient::openStream(const EtcdRequest &request)
{
    // Not from a pool: a watch holds its connection for as long as it lives, and unary
    // requests (txns, lease keep-alives, a watch's liveness probe) must never queue behind it.
    const QString endpoint = currentEndpoint();
    auto *connection = new EtcdConnection(endpoint, m_ssl.get());
    QString error;
    connection->send(serialize(endpoint, request, &error), m_options.maxReplyBytes, true);
    return connection;
}

void EtcdClient::range(const QByteArray &key, const QByteArray &rangeEnd, QObject *context,
                       Callback callback)
{
    QJsonObject body{{QStringLiteral("key"), encode(key)}};
    if (!rangeEnd.isEmpty())
        body.insert(QStringLiteral("range_end"), encode(rangeEnd));
    post(QStringLiteral("/v3/kv/range"), body, context, std::move(callback));
}

void EtcdClient::rangePrefix(const QByteArray &prefix, QObject *context, Callback callback)
{
    const QByteArray key = prefix.isEmpty() ? QByteArray(1, '\0') : prefix;
    range(key, prefixRangeEnd(prefix), context, std::move(callback));
}

void EtcdClient::put(const QByteArray &key, const QByteArray &value, qint64 lease, QObject *context,
                     Callback callback)
{
    QJsonObject body{{QStringLiteral("key"), encode(key)},
                     {QStringLiteral("value"), encode(value)}};
    if (lease)
        body.insert(QStringLiteral("lease"), QString::number(lease));
    post(QStringLiteral("/v3/kv/put"), body, context, std::move(callback));
}

void EtcdClient::deleteRange(const QByteArray &key, const QByteArray &rangeEnd, QObject *context,
                             Callback callback)
{
    QJsonObject body{{QStringLiteral("key"), encode(key)}};
    if (!rangeEnd.isEmpty())
        body.insert(QStringLiteral("range_end"), encode(rangeEnd));
    post(QStringLiteral("/v3/kv/deleterange"), body, context, std::move(callback));
}

void EtcdClient::txn(const QJsonObject &body, QObject *context, Callback callback)
{
    post(QStringLiteral("/v3/kv/txn"), body, context, std::move(callback));
}

void EtcdClient::leaseGrant(int ttlSeconds, QObject *context, Callback callback)
{
    // Capital TTL: the gateway silently ignores a lower-case "ttl".
    post(QStringLiteral("/v3/lease/grant"), {{QStringLiteral("TTL"), ttlSeconds}}, context,
         std::move(callback));
}

void EtcdClient::leaseKeepAlive(qint64 leaseId, QObject *context, Callback callback)
{
    post(QStringLiteral("/v3/lease/keepalive"), {{QStringLiteral("ID"), QString::number(leaseId)}},
         context, std::move(callback));
}

void EtcdClient::leaseRevoke(qint64 leaseId, QObject *context, Callback callback)
{
    post(QStringLiteral("/v3/lease/revoke"), {{QStringLiteral("ID"), QString::number(leaseId)}},
         context, std::move(callback));
}

void EtcdClient::status(QObject *context, Callback callback)
{
    post(QStringLiteral("/v3/maintenance/status"), {}, context, std::move(callback));
}
