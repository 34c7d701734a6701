#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>

class EtcdConnection;
class EtcdConnectionPool;
class QSslConfiguration;

// Where and how to reach etcd. Filled from RegistryConfig by the registry (this library does not
// know about registries).
struct EtcdClientOptions {
    QStringList endpoints;       // "http://127.0.0.1:2379", "https://10.0.0.2:2379"
    int requestTimeoutMs = 5000; // per request and endpoint, then the next endpoint is tried
    QString caFile, certFile, keyFile;
    QString username, password; // v3 auth; empty username: no Authorization header, ever
    // Largest reply body read into memory (like the Docker client's HttpLimits::maxBodyBytes);
    // watch streams bound each line by it. A bigger one fails the request. Last, so that
    // positional initializers keep working.
    qint64 maxReplyBytes = 64 * 1024 * 1024;
};

// A failed request, as a value. message is one sentence a person can act on.
struct EtcdError {
    enum class Kind {
        None,
        Connection, // refused, unreachable, reset, DNS: the next endpoint was tried
        Timeout,    // no complete answer within requestTimeoutMs
        Tls,        // handshake or certificate verification failed
        Auth,       // authenticate failed (wrong password, auth not possible)
        Rejected,   // etcd answered with an error (gRPC code in grpcCode)
        Protocol,   // the answer was not the JSON we expected
        Config,     // CA/cert/key files could not be loaded
    };
    Kind kind = Kind::None;
    int grpcCode = 0;   // gRPC status code from the gateway's error body, 0 when none
    int httpStatus = 0; // 0 when no HTTP answer arrived
    QString message;

    bool isError() const { return kind != Kind::None; }
    // True for faults of the path to etcd (as opposed to etcd refusing what we asked).
    bool isTransport() const
    {
        return kind == Kind::Connection || kind == Kind::Timeout || kind == Kind::Tls;
    }
};

// One HTTP exchange with etcd. The v3 helpers fill this in; the v2 registry and the watch
// stream use it directly.
struct EtcdRequest {
    QByteArray method = "POST";
    QString path; // "/v3/kv/put", "/v2/keys/services?recursive=true" (already percent-encoded)
    QByteArray body;
    QByteArray contentType = "application/json";
    bool v3Auth = true; // send the v3 token (only when a username is configured)
};

struct EtcdResponse {
    EtcdError error;
    int httpStatus = 0;
    QByteArray body;
    QJsonObject json; // body parsed, when it was a JSON object
    QString endpoint; // the endpoint that answered (or the last one tried)
};

// One key-value from a range response, decoded.
struct EtcdKeyValue {
    QByteArray key;
    QByteArray value;
    qint64 createRevision = 0;
    qint64 modRevision = 0;
    qint64 version = 0;
    qint64 lease = 0;
};

// etcd v3 through the JSON gateway, asynchronous.
//
// API shape: every call takes a context QObject and a callback. The callback runs once, on the
// client's thread, after the request finished or failed on every endpoint - unless the context
// was destroyed first, then it is dropped. Errors come as EtcdError values in the result, never
// as exceptions or log lines; the caller decides what to log.
//
// Endpoints are tried in order starting with the last one that worked; a connection failure,
// timeout, TLS failure or "unavailable" answer moves on to the next. With a username, the client
// authenticates before the first request, sends the token as a bare Authorization header, and on
// an invalid/expired token (code 16) authenticates once more and retries the request.
class EtcdClient : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const EtcdResponse &)>;

    explicit EtcdClient(const EtcdClientOptions &options, QObject *parent = nullptr);
    ~EtcdClient() override;

    const EtcdClientOptions &options() const { return m_options; }
    // The endpoint requests go to first ("http://127.0.0.1:2379").
    QString currentEndpoint() const;
    // How many times a token was obtained (1 after the first request with a user; more after
    // re-authentication).
    int authentications() const { return m_authentications; }

    // Generic request with failover, timeout and auth: the plumbing every call below uses.
    void send(const EtcdRequest &request, QObject *context, Callback callback);
    // POST a v3 gateway call, e.g. post("/v3/kv/range", {{"key", ...}}, ...).
    void post(const QString &path, const QJsonObject &body, QObject *context, Callback callback);

    // For long-lived streams (watch): the request sent to the current endpoint on a connection
    // of its own (never one that requests use), with headers and TLS set up, no timeout, and
    // the body streamed through EtcdConnection::bodyData(). The caller owns the connection.
    // Call ensureAuthenticated() first when a username is configured.
    EtcdConnection *openStream(const EtcdRequest &request);
    // Runs callback once a token is available (at once when no username is configured).
    void ensureAuthenticated(QObject *context, Callback callback);

    // --- v3 key-value calls; keys and values are raw bytes (base64 is handled here) ---
    void range(const QByteArray &key, const QByteArray &rangeEnd, QObject *context,
               Callback callback);
    void rangePrefix(const QByteArray &prefix, QObject *context, Callback callback);
    void put(const QByteArray &key, const QByteArray &value, qint64 lease, QObject *context,
             Callback callback);
    void deleteRange(const QByteArray &key, const QByteArray &rangeEnd, QObject *context,
                     Callback callback);
    // body: {"compare":[...],"success":[...],"failure":[...]}; see putOp()/deleteOp().
    void txn(const QJsonObject &body, QObject *context, Callback callback);

    void leaseGrant(int ttlSeconds, QObject *context, Callback callback);
    void leaseKeepAlive(qint64 leaseId, QObject *context, Callback callback);
    void leaseRevoke(qint64 leaseId, QObject *context, Callback callback);
    void status(QObject *context, Callback callback);

    // --- JSON gateway helpers, no I/O ---
    static QString encode(const QByteArray &bytes); // standard padded base64
    static QByteArray decode(const QJsonValue &value);
    // int64 fields arrive as strings ("42"), sometimes as numbers; missing means 0.
    static qint64 int64(const QJsonValue &value);
    // The range_end that selects every key starting with prefix; "\0" when prefix is empty or
    // all 0xff (meaning "to the end of the keyspace").
    static QByteArray prefixRangeEnd(const QByteArray &prefix);
    static QList<EtcdKeyValue> keyValues(const QJsonObject &rangeResponse);
    static QJsonObject putOp(const QByteArray &key, const QByteArray &value, qint64 lease = 0);
    static QJsonObject deleteOp(const QByteArray &key, const QByteArray &rangeEnd = {});
    // "127.0.0.1:2379" for http, the full URL for https (as in "etcd at https://...: TLS ...").
    static QString displayName(const QString &endpoint);
    // "etcd at 127.0.0.1:2379 sent a reply larger than 64 MiB; refusing it" (what is "a reply",
    // "a watch message" ...).
    static QString tooLargeMessage(const QString &endpoint, qint64 maxBytes,
                                   const QString &what = QStringLiteral("a reply"));

private:
    // Per-attempt bound while another endpoint is left (see attempt()).
    static constexpr int FailoverTimeoutMs = 2000;
    struct Call;
    void attempt(const std::shared_ptr<Call> &call);
    // After an attempt: deliver r, or try again on the next endpoint or with a fresh token.
    void settle(const std::shared_ptr<Call> &call, EtcdResponse r);
    void finish(const std::shared_ptr<Call> &call, const EtcdResponse &response);
    void authenticate();
    // The request as bytes for the wire, or empty with *error set.
    QByteArray serialize(const QString &endpoint, const EtcdRequest &request, QString *error) const;
    void loadTls();

    EtcdClientOptions m_options;
    QList<EtcdConnectionPool *> m_pools; // one per endpoint, same order
    // Built only when an endpoint is https or a CA/cert/key is given: merely constructing a
    // QSslConfiguration loads Qt's TLS backend and maps OpenSSL (~4 MiB RSS) into the process.
    std::unique_ptr<QSslConfiguration> m_ssl;
    EtcdError m_configError; // CA/cert/key problems, reported on every request
    int m_current = 0;       // index of the endpoint tried first
    QByteArray m_token;
    bool m_authenticating = false;
    int m_authentications = 0;
    bool m_authDisabled = false; // a user is configured, but etcd said auth is not enabled
    QList<std::pair<QPointer<QObject>, Callback>> m_authWaiters;
};
