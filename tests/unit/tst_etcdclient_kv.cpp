// EtcdClient against a real etcd on loopback: its JSON helpers and recorded answers, put, range,
// delete, txn, leases and status, watches beside requests, and callbacks whose context is gone.
#include "EtcdClientTestSupport.h"
#include "EtcdTestServer.h"
#include "etcd/EtcdClient.h"
#include "etcd/EtcdConnection.h"

#include <QFile>
#include <QJsonDocument>
#include <QtTest>
#include <memory>

namespace {
QJsonObject fixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/etcd/") + name);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}
} // namespace

class TestEtcdClientKv : public QObject {
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

QTEST_GUILESS_MAIN(TestEtcdClientKv)
#include "tst_etcdclient_kv.moc"
