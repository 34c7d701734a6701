#include "EtcdTestServer.h"
#include "TestPki.h"
#include "etcd/EtcdClient.h"
#include "etcd/EtcdConnection.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>
#include <optional>

// A fake etcd that accepts connections and never answers: stands in for a member that hangs
// (e.g. a killed leader with a request in flight), which a real etcd cannot be made to do on
// demand. It records what it received, so tests can check the request headers.
class FakeSilentEtcd : public QTcpServer {
public:
    FakeSilentEtcd()
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] { received += s->readAll(); });
            }
        });
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(serverPort()); }
    QByteArray received;
};

// A fake etcd whose every answer is a 200 with a huge body (400 MB by default): stands in for a
// proxy or an attacker on a plain-http link, which a real etcd cannot be made to be. It runs in
// its own thread, as a real peer would, and writes the body only as fast as the client reads
// it, so the fake itself holds little memory. Framing: announced by Content-Length, chunked, or
// read until the connection closes.
class FakeHugeEtcd : public QTcpServer {
public:
    enum class Framing { ContentLength, Chunked, UntilClose };
    explicit FakeHugeEtcd(Framing framing, qint64 bodyBytes = 400LL * 1024 * 1024)
        : m_framing(framing), m_bodyBytes(bodyBytes)
    {
        moveToThread(&m_thread);
        m_thread.start();
        QMetaObject::invokeMethod(
            this,
            [this] {
                listen(QHostAddress::LocalHost, 0);
                connect(this, &QTcpServer::newConnection, this, [this] {
                    while (QTcpSocket *s = nextPendingConnection())
                        connect(s, &QTcpSocket::readyRead, this, [this, s] { answer(s); });
                });
            },
            Qt::BlockingQueuedConnection);
    }
    ~FakeHugeEtcd() override
    {
        QThread *main = QCoreApplication::instance()->thread();
        QMetaObject::invokeMethod(
            this,
            [this, main] {
                close();
                qDeleteAll(findChildren<QTcpSocket *>());
                moveToThread(main);
            },
            Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(serverPort()); }
    qint64 bytesSent() const { return m_sent.loadRelaxed(); }

private:
    void answer(QTcpSocket *s)
    {
        s->readAll();
        if (s->property("answering").toBool())
            return;
        s->setProperty("answering", true);
        QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
        if (m_framing == Framing::ContentLength)
            head += "Content-Length: " + QByteArray::number(m_bodyBytes) + "\r\n";
        else if (m_framing == Framing::Chunked)
            head += "Transfer-Encoding: chunked\r\n";
        else
            head += "Connection: close\r\n";
        s->write(head + "\r\n");
        auto left = std::make_shared<qint64>(m_bodyBytes);
        const auto more = [this, s, left] {
            static const QByteArray chunk(256 * 1024, ' ');
            while (*left > 0 && s->bytesToWrite() < chunk.size()) {
                const QByteArray data = chunk.left(int(std::min<qint64>(*left, chunk.size())));
                if (m_framing == Framing::Chunked)
                    s->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
                else
                    s->write(data);
                *left -= data.size();
                m_sent.fetchAndAddRelaxed(data.size());
            }
            if (*left == 0) {
                *left = -1;
                if (m_framing == Framing::Chunked)
                    s->write("0\r\n\r\n");
                if (m_framing == Framing::UntilClose)
                    s->disconnectFromHost();
            }
        };
        connect(s, &QTcpSocket::bytesWritten, this, more);
        more();
    }

    QThread m_thread;
    Framing m_framing;
    qint64 m_bodyBytes;
    QAtomicInteger<qint64> m_sent = 0;
};

namespace {
// VmRSS (now) or VmHWM (the peak so far) of this process, in KiB.
qint64 residentKiB(const QByteArray &field = "VmRSS:")
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(field))
            return line.mid(field.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

// Runs one client call and waits for its callback.
std::optional<EtcdResponse> wait(const std::function<void(EtcdClient::Callback)> &call,
                                 int timeoutMs = 10000)
{
    std::optional<EtcdResponse> result;
    QEventLoop loop;
    call([&](const EtcdResponse &r) {
        result = r;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!result)
        loop.exec();
    return result;
}

QJsonObject fixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/etcd/") + name);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

EtcdClientOptions options(const QStringList &endpoints, int timeoutMs)
{
    EtcdClientOptions o;
    o.endpoints = endpoints;
    o.requestTimeoutMs = timeoutMs;
    return o;
}

QString closedPortEndpoint()
{
    return QStringLiteral("http://127.0.0.1:%1").arg(EtcdTestServer::freePort());
}
} // namespace

class TestEtcdClient : public QObject {
    Q_OBJECT
private:
    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_client;

    EtcdClient *client() { return m_client.get(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
        EtcdClientOptions o;
        o.endpoints = {m_etcd.endpoint()};
        o.requestTimeoutMs = 3000;
        m_client = std::make_unique<EtcdClient>(o);
    }

    void prefixRangeEnd_data()
    {
        QTest::addColumn<QByteArray>("prefix");
        QTest::addColumn<QByteArray>("end");
        QTest::newRow("plain") << QByteArray("/services/") << QByteArray("/services0");
        QTest::newRow("one byte") << QByteArray("a") << QByteArray("b");
        QTest::newRow("trailing 0xff") << QByteArray("a\xff") << QByteArray("b");
        QTest::newRow("all 0xff") << QByteArray("\xff\xff") << QByteArray(1, '\0');
        QTest::newRow("empty") << QByteArray() << QByteArray(1, '\0');
    }
    void prefixRangeEnd()
    {
        QFETCH(QByteArray, prefix);
        QFETCH(QByteArray, end);
        QCOMPARE(EtcdClient::prefixRangeEnd(prefix), end);
    }

    void int64_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("string") << QJsonValue(QStringLiteral("42")) << qint64(42);
        QTest::newRow("beyond double precision")
            << QJsonValue(QStringLiteral("7587899186165622277")) << qint64(7587899186165622277LL);
        QTest::newRow("number") << QJsonValue(7) << qint64(7);
        QTest::newRow("missing") << QJsonValue(QJsonValue::Undefined) << qint64(0);
    }
    void int64()
    {
        QFETCH(QJsonValue, value);
        QFETCH(qint64, expected);
        QCOMPARE(EtcdClient::int64(value), expected);
    }

    void fixtures()
    {
        const auto kvs = EtcdClient::keyValues(fixture(QStringLiteral("range.json")));
        QCOMPARE(kvs.size(), 1);
        QCOMPARE(kvs[0].key, QByteArray("/services/redis/core-01:redis.1:6379"));
        QCOMPARE(kvs[0].value, QByteArray("10.0.0.5:49153"));
        QCOMPARE(kvs[0].lease, 7587899186165622277LL);
        QCOMPARE(kvs[0].modRevision, 2);
        QVERIFY(EtcdClient::keyValues(fixture(QStringLiteral("range_empty.json"))).isEmpty());
        const QJsonObject alive = fixture(QStringLiteral("keepalive.json"));
        QCOMPARE(EtcdClient::int64(alive[QLatin1String("result")][QLatin1String("TTL")]), 30);
        const QJsonObject gone = fixture(QStringLiteral("keepalive_gone.json"));
        QCOMPARE(EtcdClient::int64(gone[QLatin1String("result")][QLatin1String("TTL")]), 0);
        QVERIFY(!fixture(QStringLiteral("txn_failed.json")).contains(QLatin1String("succeeded")));
    }

    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("value");
        QTest::newRow("registrator key")
            << QByteArray("/services/redis/core-01:redis.1:6379") << QByteArray("10.0.0.5:49153");
        QTest::newRow("unicode") << QStringLiteral("/t/ключ/🚢").toUtf8()
                                 << QStringLiteral("значение ✓").toUtf8();
        QTest::newRow("binary") << QByteArray("/t/bin\x00\x01\xff", 9)
                                << QByteArray("\x00\xfe\xff\n", 4);
        QTest::newRow("empty value") << QByteArray("/t/empty") << QByteArray();
    }
    void roundTrip()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, value);
        auto put = wait([&](auto cb) { client()->put(key, value, 0, this, cb); });
        QVERIFY(put);
        QVERIFY2(!put->error.isError(), qPrintable(put->error.message));

        auto got = wait([&](auto cb) { client()->range(key, {}, this, cb); });
        QVERIFY(got && !got->error.isError());
        const auto kvs = EtcdClient::keyValues(got->json);
        QCOMPARE(kvs.size(), 1);
        QCOMPARE(kvs[0].key, key);
        QCOMPARE(kvs[0].value, value);
        QCOMPARE(EtcdClient::int64(got->json[QLatin1String("count")]), 1);

        auto del = wait([&](auto cb) { client()->deleteRange(key, {}, this, cb); });
        QVERIFY(del && !del->error.isError());
        QCOMPARE(EtcdClient::int64(del->json[QLatin1String("deleted")]), 1);
        got = wait([&](auto cb) { client()->range(key, {}, this, cb); });
        QVERIFY(got && !got->error.isError());
        QVERIFY(!got->json.contains(QLatin1String("kvs"))); // defaults are left out
    }

    void rangePrefix()
    {
        for (const char *k : {"/p/a", "/p/b", "/p/c/d", "/pq"})
            QVERIFY(wait([&](auto cb) { client()->put(k, "v", 0, this, cb); }));
        auto got = wait([&](auto cb) { client()->rangePrefix("/p/", this, cb); });
        QVERIFY(got && !got->error.isError());
        QCOMPARE(EtcdClient::keyValues(got->json).size(), 3);
        auto del = wait([&](auto cb) {
            client()->deleteRange("/p/", EtcdClient::prefixRangeEnd("/p/"), this, cb);
        });
        QCOMPARE(EtcdClient::int64(del->json[QLatin1String("deleted")]), 3);
    }

    void txn()
    {
        const QByteArray key("/t/txn");
        const QJsonObject body{
            {QStringLiteral("compare"),
             QJsonArray{QJsonObject{{QStringLiteral("key"), EtcdClient::encode(key)},
                                    {QStringLiteral("target"), QStringLiteral("VERSION")},
                                    {QStringLiteral("result"), QStringLiteral("EQUAL")},
                                    {QStringLiteral("version"), QStringLiteral("0")}}}},
            {QStringLiteral("success"),
             QJsonArray{EtcdClient::putOp(key, "first"), EtcdClient::putOp("/t/txn2", "x")}}};
        auto first = wait([&](auto cb) { client()->txn(body, this, cb); });
        QVERIFY(first && !first->error.isError());
        QCOMPARE(first->json[QLatin1String("succeeded")].toBool(), true);
        auto second = wait([&](auto cb) { client()->txn(body, this, cb); });
        QVERIFY(second && !second->error.isError());
        QCOMPARE(second->json[QLatin1String("succeeded")].toBool(), false); // field left out

        const QJsonObject dup{{QStringLiteral("success"), QJsonArray{EtcdClient::putOp(key, "a"),
                                                                     EtcdClient::putOp(key, "b")}}};
        auto bad = wait([&](auto cb) { client()->txn(dup, this, cb); });
        QVERIFY(bad);
        QCOMPARE(bad->error.kind, EtcdError::Kind::Rejected);
        QVERIFY2(bad->error.message.contains(QLatin1String("duplicate key")),
                 qPrintable(bad->error.message));
    }

    void leaseLifecycle()
    {
        auto grant = wait([&](auto cb) { client()->leaseGrant(2, this, cb); });
        QVERIFY(grant && !grant->error.isError());
        const qint64 lease = EtcdClient::int64(grant->json[QLatin1String("ID")]);
        QVERIFY(lease != 0);
        QCOMPARE(EtcdClient::int64(grant->json[QLatin1String("TTL")]), 2);
        QVERIFY(wait([&](auto cb) { client()->put("/t/leased", "v", lease, this, cb); }));

        auto alive = wait([&](auto cb) { client()->leaseKeepAlive(lease, this, cb); });
        QVERIFY(alive && !alive->error.isError());
        QCOMPARE(EtcdClient::int64(alive->json[QLatin1String("result")][QLatin1String("TTL")]), 2);
        auto got = wait([&](auto cb) { client()->range("/t/leased", {}, this, cb); });
        QCOMPARE(EtcdClient::keyValues(got->json).value(0).lease, lease);

        QTest::qWait(3500); // no keep-alive: the lease expires
        got = wait([&](auto cb) { client()->range("/t/leased", {}, this, cb); });
        QVERIFY(EtcdClient::keyValues(got->json).isEmpty());
        alive = wait([&](auto cb) { client()->leaseKeepAlive(lease, this, cb); });
        QVERIFY(alive && !alive->error.isError());
        QCOMPARE(EtcdClient::int64(alive->json[QLatin1String("result")][QLatin1String("TTL")]), 0);
    }

    void leaseRevokeAndMissingLease()
    {
        auto grant = wait([&](auto cb) { client()->leaseGrant(30, this, cb); });
        const qint64 lease = EtcdClient::int64(grant->json[QLatin1String("ID")]);
        QVERIFY(wait([&](auto cb) { client()->put("/t/revoked", "v", lease, this, cb); }));
        auto revoke = wait([&](auto cb) { client()->leaseRevoke(lease, this, cb); });
        QVERIFY(revoke && !revoke->error.isError());
        auto got = wait([&](auto cb) { client()->range("/t/revoked", {}, this, cb); });
        QVERIFY(EtcdClient::keyValues(got->json).isEmpty());
        auto put = wait([&](auto cb) { client()->put("/t/revoked", "v", lease, this, cb); });
        QCOMPARE(put->error.kind, EtcdError::Kind::Rejected);
        QCOMPARE(put->error.grpcCode, 5);
        QVERIFY(put->error.message.contains(QLatin1String("lease not found")));
    }

    void status()
    {
        auto s = wait([&](auto cb) { client()->status(this, cb); });
        QVERIFY(s && !s->error.isError());
        QVERIFY(s->json[QLatin1String("version")].toString().startsWith(QLatin1String("3.")));
    }

    // Six watches, as many as the request pool's connections to one endpoint: unary requests
    // still go through at once, as a watch's liveness probe and the registry's txns must.
    void streamsDoNotStarveRequests()
    {
        EtcdClient c(options({m_etcd.endpoint()}, 3000));
        std::vector<std::unique_ptr<EtcdConnection>> streams;
        int created = 0;
        for (int i = 0; i < 6; ++i) {
            EtcdRequest request;
            request.path = QStringLiteral("/v3/watch");
            request.body =
                QJsonDocument(QJsonObject{{"create_request",
                                           QJsonObject{{"key", EtcdClient::encode("/stream/")}}}})
                    .toJson(QJsonDocument::Compact);
            streams.emplace_back(c.openStream(request));
            connect(streams.back().get(), &EtcdConnection::bodyData, this,
                    [&created] { ++created; });
        }
        // Every watch is open and holds its connection.
        QTRY_COMPARE_WITH_TIMEOUT(created, 6, 10000);
        for (int i = 0; i < 8; ++i) {
            auto r = wait(
                [&](auto cb) { c.put("/stream/k" + QByteArray::number(i), "v", 0, this, cb); });
            QVERIFY(r);
            QVERIFY2(!r->error.isError(), qPrintable(r->error.message));
        }
        for (auto &stream : streams)
            stream->abort();
    }

    void refusedConnectionIsASentence()
    {
        const QString dead = closedPortEndpoint();
        EtcdClient c(options({dead}, 2000));
        auto r = wait([&](auto cb) { c.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Connection);
        QCOMPARE(r->error.message,
                 QStringLiteral("etcd at %1 refused the connection").arg(dead.mid(7)));
    }

    void failoverToLiveEndpoint()
    {
        EtcdClient c(options({closedPortEndpoint(), m_etcd.endpoint()}, 2000));
        auto r = wait([&](auto cb) { c.put("/t/failover", "ok", 0, this, cb); });
        QVERIFY(r);
        QVERIFY2(!r->error.isError(), qPrintable(r->error.message));
        QCOMPARE(r->endpoint, m_etcd.endpoint());
        QCOMPARE(c.currentEndpoint(), m_etcd.endpoint()); // remembered for the next request
    }

    void timeoutThenFailover()
    {
        FakeSilentEtcd silent;
        EtcdClient alone(options({silent.endpoint()}, 300));
        QElapsedTimer t;
        t.start();
        auto r = wait([&](auto cb) { alone.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Timeout);
        QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
        QVERIFY(r->error.message.contains(QLatin1String("did not answer within 300 ms")));

        EtcdClient both(options({silent.endpoint(), m_etcd.endpoint()}, 300));
        r = wait([&](auto cb) { both.range("/x", {}, this, cb); });
        QVERIFY(r);
        QVERIFY2(!r->error.isError(), qPrintable(r->error.message));
    }

    void headersWithoutAuth()
    {
        FakeSilentEtcd silent;
        EtcdClient c(options({silent.endpoint()}, 300));
        wait([&](auto cb) { c.range("/x", {}, this, cb); });
        const QByteArray req = silent.received.toLower();
        QVERIFY2(req.startsWith("post /v3/kv/range http/1.1"), req.constData());
        QVERIFY(req.contains("grpc-metadata-hasleader: true"));
        QVERIFY(!req.contains("authorization"));
    }

    void userWithoutServerAuthStillWorks()
    {
        EtcdClientOptions o = options({m_etcd.endpoint()}, 2000);
        o.username = QStringLiteral("someone");
        o.password = QStringLiteral("pw");
        EtcdClient c(o);
        auto r = wait([&](auto cb) { c.put("/t/noauth", "v", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
    }

    void badCaFileIsAConfigError()
    {
        EtcdClientOptions o = options({QStringLiteral("https://127.0.0.1:1")}, 2000);
        o.caFile = QStringLiteral("/nonexistent/ca.pem");
        EtcdClient c(o);
        auto r = wait([&](auto cb) { c.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Config);
        QVERIFY(r->error.message.contains(QLatin1String("/nonexistent/ca.pem")));
    }

    void tlsAgainstPlainEtcdFails()
    {
        QString https = m_etcd.endpoint();
        https.replace(QLatin1String("http://"), QLatin1String("https://"));
        EtcdClient c(options({https}, 2000));
        auto r = wait([&](auto cb) { c.range("/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Tls);
        QVERIFY2(r->error.message.startsWith(
                     QStringLiteral("etcd at %1: TLS handshake failed: ").arg(https)),
                 qPrintable(r->error.message));
        qInfo() << "https to a plain etcd:" << r->error.message;
    }

    void tls()
    {
        TestPki pki;
        QVERIFY(pki.make());
        EtcdTestServer::Options so;
        so.certFile = pki.path("server.pem");
        so.keyFile = pki.path("server.key");
        so.clientCaFile = pki.path("ca.pem");
        EtcdTestServer etcd(so);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QVERIFY(etcd.endpoint().startsWith(QLatin1String("https://")));

        EtcdClientOptions o = options({etcd.endpoint()}, 3000);
        o.caFile = pki.path("ca.pem");
        o.certFile = pki.path("client.pem");
        o.keyFile = pki.path("client.key");
        EtcdClient good(o);
        auto r = wait([&](auto cb) { good.put("/tls/x", "1", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");

        // The system CAs do not know our CA: verification fails with a readable reason.
        EtcdClientOptions unknownCa = o;
        unknownCa.caFile.clear();
        EtcdClient untrusting(unknownCa);
        r = wait([&](auto cb) { untrusting.range("/tls/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Tls);
        QVERIFY2(r->error.message.startsWith(
                     QStringLiteral("etcd at %1: TLS handshake failed: ").arg(etcd.endpoint())),
                 qPrintable(r->error.message));
        qInfo() << "unknown CA:" << r->error.message;

        // etcd requires a client certificate.
        EtcdClientOptions noCert = o;
        noCert.certFile.clear();
        noCert.keyFile.clear();
        EtcdClient anonymous(noCert);
        r = wait([&](auto cb) { anonymous.range("/tls/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Tls);
        QVERIFY2(r->error.message.contains(QLatin1String("requires a client certificate")),
                 qPrintable(r->error.message));
        qInfo() << "no client certificate:" << r->error.message;
    }

    void auth()
    {
        // Short token TTL, so the token expires and the client must authenticate again.
        EtcdTestServer etcd(EtcdTestServer::Options::withArgs({"--auth-token-ttl", "1"}));
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QString out;
        for (const QStringList &args :
             {QStringList{"user", "add", "root:rootpw"},
              {"role", "add", "app"},
              {"role", "grant-permission", "app", "--prefix=true", "readwrite", "/app/"},
              {"user", "add", "app:apppw"},
              {"user", "grant-role", "app", "app"},
              {"auth", "enable"}}) {
            QVERIFY2(etcd.etcdctl(args, &out) == 0, qPrintable(out));
        }

        EtcdClientOptions o = options({etcd.endpoint()}, 3000);
        o.username = QStringLiteral("app");
        o.password = QStringLiteral("apppw");
        EtcdClient c(o);
        auto r = wait([&](auto cb) { c.put("/app/x", "1", 0, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        QCOMPARE(c.authentications(), 1);

        r = wait([&](auto cb) { c.put("/other/x", "1", 0, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Rejected);
        QVERIFY2(r->error.message.contains(QLatin1String("permission denied")),
                 qPrintable(r->error.message));

        QTest::qWait(2500); // the simple token expires after 1 s without use
        r = wait([&](auto cb) { c.range("/app/x", {}, this, cb); });
        QVERIFY2(r && !r->error.isError(), r ? qPrintable(r->error.message) : "no answer");
        QCOMPARE(EtcdClient::keyValues(r->json).value(0).value, QByteArray("1"));
        QCOMPARE(c.authentications(), 2); // the expired token was replaced once

        o.password = QStringLiteral("wrong");
        EtcdClient wrong(o);
        r = wait([&](auto cb) { wrong.range("/app/x", {}, this, cb); });
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Auth);
        QVERIFY2(r->error.message.contains(QLatin1String("\"app\"")), qPrintable(r->error.message));
        qInfo() << "wrong password:" << r->error.message;

        EtcdClient anonymous(options({etcd.endpoint()}, 3000));
        r = wait([&](auto cb) { anonymous.range("/app/x", {}, this, cb); });
        QVERIFY(r && r->error.isError());
    }

    void hugeReplyIsRefused_data()
    {
        QTest::addColumn<int>("framing");
        QTest::addColumn<qint64>("cap");
        QTest::addColumn<QString>("size");
        const auto cl = int(FakeHugeEtcd::Framing::ContentLength);
        const auto chunked = int(FakeHugeEtcd::Framing::Chunked);
        const auto close = int(FakeHugeEtcd::Framing::UntilClose);
        const qint64 byDefault = EtcdClientOptions().maxReplyBytes;
        QTest::newRow("Content-Length over the default cap") << cl << byDefault << "64 MiB";
        QTest::newRow("chunked over the default cap") << chunked << byDefault << "64 MiB";
        QTest::newRow("until close over the default cap") << close << byDefault << "64 MiB";
        QTest::newRow("chunked over a 100000-byte cap")
            << chunked << qint64(100000) << "100000 bytes";
    }

    void hugeReplyIsRefused()
    {
        QFETCH(int, framing);
        QFETCH(qint64, cap);
        QFETCH(QString, size);
        FakeHugeEtcd huge{FakeHugeEtcd::Framing(framing)};
        EtcdClientOptions o = options({huge.endpoint()}, 60000);
        o.maxReplyBytes = cap;
        EtcdClient c(o);
        // "5" resets the peak (VmHWM) to the current RSS, so each row sees its own peak.
        QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
        const bool peakReset = clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
        clearRefs.close();
        const qint64 before = residentKiB();
        auto r = wait([&](auto cb) { c.rangePrefix("/", this, cb); }, 60000);
        const qint64 peak = residentKiB("VmHWM:");
        QTest::qWait(500); // the reply goes, then the client hands its memory back
        const qint64 after = residentKiB();
        QVERIFY(r);
        QCOMPARE(r->error.kind, EtcdError::Kind::Protocol);
        QCOMPARE(r->error.message,
                 QStringLiteral("etcd at %1 sent a reply larger than %2; refusing it")
                     .arg(huge.endpoint().mid(7), size));
        QVERIFY(r->body.isEmpty());
        qInfo("%s: the fake sent %lld MiB; VmRSS %lld MiB before, peak %lld MiB (VmHWM%s), "
              "%lld MiB after",
              qPrintable(size), huge.bytesSent() / (1024 * 1024), before / 1024, peak / 1024,
              peakReset ? "" : ", not reset: the process's own peak", after / 1024);
        // The peak is printed, not asserted: against a peer this fast, Qt's network thread can
        // read far ahead of the client (up to the whole 400 MB of a chunked body) before the
        // abort lands. What the client keeps is asserted: unbounded, the body stayed (345 MB).
        Q_UNUSED(peakReset);
        QVERIFY2(after - before < cap / 1024 + 32 * 1024,
                 qPrintable(QStringLiteral("VmRSS kept %1 MiB").arg((after - before) / 1024)));

        // The client goes on: the next request to a sane etcd works.
        EtcdClient sane(options({m_etcd.endpoint()}, 3000));
        r = wait([&](auto cb) { sane.range("/x", {}, this, cb); });
        QVERIFY(r && !r->error.isError());
    }

    void droppedContextDropsCallback()
    {
        bool called = false;
        {
            QObject context;
            client()->range("/x", {}, &context, [&](const EtcdResponse &) { called = true; });
        }
        QTest::qWait(300);
        QVERIFY(!called);
    }
};

QTEST_GUILESS_MAIN(TestEtcdClient)
#include "tst_etcdclient.moc"
