// EtcdV3Registry's transactions against a real etcd on loopback: one txn per removal, 300
// registrations batched, several txns in flight, records split under etcd's request limit, a
// txn failing midway (through FaultyEtcdProxy), and writes while gathering before reconcile.
#include "EtcdV3RegistryTestSupport.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>

namespace {
// A fake in front of the real etcd: passes HTTP through unchanged, except that the failAt-th
// POST /v3/kv/txn (1-based) is answered with etcd's "unavailable" (503, code 14) and never
// reaches etcd. A fault that a real etcd cannot be made to produce on one chosen request.
class FaultyEtcdProxy : public QObject {
public:
    FaultyEtcdProxy(quint16 upstreamPort, int failAt) : m_upstream(upstreamPort), m_failAt(failAt)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection())
                accept(client);
        });
        m_server.listen(QHostAddress::LocalHost);
    }
    QString endpoint() const
    {
        return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
    }
    int txns() const { return m_txns; }

private:
    void accept(QTcpSocket *client)
    {
        auto *upstream = new QTcpSocket(client);
        auto buffer = std::make_shared<QByteArray>();
        upstream->connectToHost(QHostAddress::LocalHost, m_upstream);
        connect(upstream, &QTcpSocket::readyRead, client,
                [client, upstream] { client->write(upstream->readAll()); });
        connect(upstream, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
        connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
        connect(client, &QTcpSocket::readyRead, this, [this, client, upstream, buffer] {
            buffer->append(client->readAll());
            // One whole request at a time (QNetworkAccessManager does not pipeline).
            for (;;) {
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                const QByteArray head = buffer->left(end);
                qsizetype length = 0;
                for (const QByteArray &line : head.split('\n')) {
                    if (line.toLower().startsWith("content-length:"))
                        length = line.mid(15).trimmed().toLongLong();
                }
                if (buffer->size() < end + 4 + length)
                    return;
                const QByteArray request = buffer->left(end + 4 + length);
                buffer->remove(0, end + 4 + length);
                if (head.startsWith("POST /v3/kv/txn ") && ++m_txns == m_failAt) {
                    const QByteArray body =
                        R"({"error":"injected fault","code":14,"message":"injected fault"})";
                    client->write("HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                  "application/json\r\nContent-Length: " +
                                  QByteArray::number(body.size()) + "\r\n\r\n" + body);
                    continue;
                }
                upstream->write(request);
            }
        });
    }

    QTcpServer m_server;
    quint16 m_upstream;
    int m_failAt;
    int m_txns = 0;
};
} // namespace

class TestEtcdV3RegistryTxns : public EtcdV3RegistryTestCase {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { EtcdV3RegistryTestCase::initTestCase(); }
    void init() { EtcdV3RegistryTestCase::init(); }

    void removalIsOneTxnSentAtOnce()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy deregistered(&reg, &Registry::serviceDeregistered);
        reg.start();
        const ServiceDefinition a = service(QStringLiteral("core-01"), QStringLiteral("web.1"), 80);
        const ServiceDefinition b =
            service(QStringLiteral("core-01"), QStringLiteral("web.1"), 443);
        reg.registerService(a);
        reg.registerService(b);
        QVERIFY(waitIdle(reg));
        reg.deregisterService(a);
        reg.deregisterService(b);
        QCOMPARE(reg.txnsInFlight(), 0); // without sendNow: the next event loop turn
        reg.sendNow();
        QCOMPARE(reg.txnsInFlight(), 1); // both services' four deletes, already on their way
        QTRY_COMPARE_WITH_TIMEOUT(deregistered.size(), 2, 5000);
        QCOMPARE(reg.txnsInFlight(), 0);
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:web.1:80")));
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:web.1:443")));
        QVERIFY(!get(QStringLiteral("/portolan/services/core-01/core-01:web.1:80")));
        QVERIFY(!get(QStringLiteral("/portolan/services/core-01/core-01:web.1:443")));
        QVERIFY(waitIdle(reg));
        QCOMPARE(reg.peakTxnsInFlight(), 1);
    }

    void batchedRegistrationOf300()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        reg.start();
        QVERIFY(waitIdle(reg)); // lease and host record first, so only the services are timed
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < 300; ++i)
            reg.registerService(
                service(QStringLiteral("core-01"), QStringLiteral("c%1").arg(i), 1000 + i));
        QVERIFY(waitIdle(reg));
        const qint64 ms = t.elapsed();
        qInfo("300 services registered (600 keys, 128-op txns) in %lld ms", ms);
        QCOMPARE(registered.size(), 300);
        QCOMPARE(count(QStringLiteral("/services/redis/")), 300);
        QCOMPARE(count(QStringLiteral("/portolan/services/core-01/")), 300);
    }

    void severalTxnsInFlightForALargeWrite()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        reg.start();
        QVERIFY(waitIdle(reg));
        QCOMPARE(reg.peakTxnsInFlight(), 1); // lease, then the host record alone
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < 1000; ++i)
            reg.registerService(
                service(QStringLiteral("core-01"), QStringLiteral("c%1").arg(i), 1000 + i));
        QVERIFY(waitIdle(reg, 30000));
        qInfo("1000 services (16 txns of 128 ops) in %lld ms, at most %d txns in flight",
              t.elapsed(), reg.peakTxnsInFlight());
        QCOMPARE(reg.peakTxnsInFlight(), 3);
        QCOMPARE(registered.size(), 1000);
        QCOMPARE(count(QStringLiteral("/services/redis/")), 1000);
        QCOMPARE(count(QStringLiteral("/portolan/services/core-01/")), 1000);
    }

    // 64 services of ~30 KiB in one 128-op txn would be ~1.9 MiB, over etcd's default 1.5 MiB
    // request limit; the txns are cut by bytes as well, so all of them land.
    void largeRecordsAreSplitUnderEtcdsRequestLimit()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        QStringList errors;
        connect(&reg, &Registry::connectionChanged, this, [&errors](bool, const QString &error) {
            if (!error.isEmpty())
                errors << error;
        });
        reg.start();
        QVERIFY(waitIdle(reg));
        for (int i = 0; i < 100; ++i) {
            ServiceDefinition s =
                service(QStringLiteral("core-01"), QStringLiteral("big%1").arg(i), 1000 + i);
            s.attributes.insert(QStringLiteral("note"), QString(30000, QLatin1Char('x')));
            reg.registerService(s);
        }
        QVERIFY(waitIdle(reg, 30000));
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1String("; "))));
        QCOMPARE(registered.size(), 100);
        QCOMPARE(count(QStringLiteral("/portolan/services/core-01/")), 100);
    }

    void txnFailingMidwayIsRetriedAndReportedOnce()
    {
        const auto port = quint16(QUrl(m_etcd.endpoint()).port());
        FaultyEtcdProxy proxy(port, 3); // the host record's txn, then the 2nd of the 8 below
        EtcdV3Registry reg(config(proxy.endpoint()));
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        reg.start();
        QVERIFY(waitIdle(reg));
        QCOMPARE(proxy.txns(), 1);
        for (int i = 0; i < 500; ++i)
            reg.registerService(
                service(QStringLiteral("core-01"), QStringLiteral("c%1").arg(i), 1000 + i));
        QTRY_VERIFY_WITH_TIMEOUT(conn.size() >= 2, 10000);
        QVERIFY(waitIdle(reg, 30000));
        qInfo("%d txns sent for 500 services with one failure", proxy.txns());
        QVERIFY(proxy.txns() > 9); // the failure made it put everything again
        QCOMPARE(conn.size(), 3);  // up, down once, up again: one report for the fault
        QCOMPARE(conn.at(1).at(0).toBool(), false);
        QVERIFY2(conn.at(1).at(1).toString().contains(QLatin1String("injected fault")),
                 qPrintable(conn.at(1).at(1).toString()));
        QCOMPARE(conn.at(2).at(0).toBool(), true);
        QCOMPARE(count(QStringLiteral("/services/redis/")), 500);
        QCOMPARE(count(QStringLiteral("/portolan/services/core-01/")), 500);
        QSet<QString> ids;
        for (const auto &args : std::as_const(registered))
            ids.insert(args.first().value<ServiceDefinition>().id);
        QCOMPARE(ids.size(), 500);
    }

    void syncWritesWhileGatheringAndDeletesOnlyAfterReconcile()
    {
        auto plant = [&](const QString &id) {
            const QString key = QStringLiteral("/services/redis/") + id;
            const QJsonObject rec{{QStringLiteral("id"), id}, {QStringLiteral("key"), key}};
            QVERIFY(
                awaitEtcd([&](auto cb) { m_raw->put(key.toUtf8(), "10.0.0.9:1", 0, this, cb); }));
            QVERIFY(awaitEtcd([&](auto cb) {
                m_raw->put(QStringLiteral("/portolan/services/core-01/%1").arg(id).toUtf8(),
                           QJsonDocument(rec).toJson(QJsonDocument::Compact), 0, this, cb);
            }));
        };
        plant(QStringLiteral("core-01:gone.1:80"));
        plant(QStringLiteral("core-01:late.1:80")); // its container is inspected last

        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        QSignalSpy stale(&reg, &Registry::staleRemoved);
        reg.start();
        reg.beginReconcile();
        const ServiceDefinition early =
            service(QStringLiteral("core-01"), QStringLiteral("early.1"), 80);
        reg.registerService(early);
        QTest::qWait(300); // the listing has answered by now
        // One service does not fill a txn: it waits for more, or for flush().
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:early.1:80")));
        reg.flush();
        // Written before the set is complete ...
        QTRY_VERIFY_WITH_TIMEOUT(get(QStringLiteral("/services/redis/core-01:early.1:80")), 5000);
        // ... and so is a full txn's worth (64 services) without a flush ...
        QList<ServiceDefinition> all{early};
        for (int i = 0; i < 64; ++i) {
            all << service(QStringLiteral("core-01"), QStringLiteral("fill%1").arg(i), 80);
            reg.registerService(all.last());
        }
        QTRY_COMPARE_WITH_TIMEOUT(count(QStringLiteral("/portolan/services/core-01/")), 67, 5000);
        // ... but nothing deleted: "late" is still being inspected.
        QVERIFY(!reg.isIdle());
        QVERIFY(stale.isEmpty());
        QVERIFY(get(QStringLiteral("/services/redis/core-01:gone.1:80")));
        QVERIFY(get(QStringLiteral("/portolan/services/core-01/core-01:late.1:80")));

        const ServiceDefinition late =
            service(QStringLiteral("core-01"), QStringLiteral("late.1"), 80);
        reg.registerService(late);
        all << late;
        reg.reconcile(all);
        QVERIFY(waitIdle(reg));
        QCOMPARE(stale.size(), 1);
        QCOMPARE(stale.first().first().toString(),
                 QStringLiteral("/services/redis/core-01:gone.1:80"));
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:gone.1:80")));
        QVERIFY(!get(QStringLiteral("/portolan/services/core-01/core-01:gone.1:80")));
        QCOMPARE(get(QStringLiteral("/services/redis/core-01:late.1:80"))->value,
                 QByteArray("10.0.0.5:49080"));
        QVERIFY(get(QStringLiteral("/portolan/services/core-01/core-01:late.1:80")));
        QVERIFY(get(QStringLiteral("/services/redis/core-01:early.1:80")));
        QCOMPARE(count(QStringLiteral("/portolan/services/core-01/")), 66);
        // reconcile() did not write the gathered services a second time.
        QCOMPARE(registered.size(), 66);
    }
};

QTEST_GUILESS_MAIN(TestEtcdV3RegistryTxns)
#include "tst_etcdv3registry_txns.moc"
