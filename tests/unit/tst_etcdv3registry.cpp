#include "EtcdTestServer.h"
#include "RegistryTestSupport.h"
#include "etcd/EtcdClient.h"
#include "registry/EtcdV3Registry.h"
#include "registry/RegistryFactory.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QtTest>
#include <optional>

namespace {
ServiceDefinition service(const QString &host, const QString &container, int port,
                          const QString &name = QStringLiteral("redis"))
{
    ServiceDefinition s;
    s.hostname = host;
    s.id = QStringLiteral("%1:%2:%3").arg(host, container).arg(port);
    s.name = name;
    s.ip = QStringLiteral("10.0.0.5");
    s.port = 49000 + port % 1000;
    s.exposedPort = QString::number(port);
    s.tags = QStringList{QStringLiteral("primary")};
    s.attributes.insert(QStringLiteral("region"), QStringLiteral("eu"));
    s.containerId = QStringLiteral("0123456789abcdef");
    s.containerName = container;
    s.image = QStringLiteral("example/redis:latest");
    return s;
}

RegistryConfig config(const QString &endpoint, int ttl = 10, int refresh = 0)
{
    return testRegistryConfig(RegistryConfig::Backend::EtcdV3, endpoint, ttl, refresh);
}
} // namespace

class TestEtcdV3Registry : public QObject {
    Q_OBJECT
private:
    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_raw; // checks what is really in etcd

    std::optional<EtcdKeyValue> get(const QString &key, EtcdClient *via = nullptr)
    {
        EtcdClient *c = via ? via : m_raw.get();
        auto r = awaitEtcd([&](auto cb) { c->range(key.toUtf8(), {}, this, cb); });
        if (!r || r->error.isError())
            return std::nullopt;
        const auto kvs = EtcdClient::keyValues(r->json);
        return kvs.isEmpty() ? std::nullopt : std::optional<EtcdKeyValue>(kvs.first());
    }
    qint64 count(const QString &prefix)
    {
        auto r = awaitEtcd([&](auto cb) { m_raw->rangePrefix(prefix.toUtf8(), this, cb); });
        return r ? EtcdClient::int64(r->json[QLatin1String("count")]) : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
        EtcdClientOptions o;
        o.endpoints = {m_etcd.endpoint()};
        m_raw = std::make_unique<EtcdClient>(o);
    }

    void init()
    {
        auto r = awaitEtcd([&](auto cb) {
            m_raw->deleteRange(QByteArray(1, '\0'), QByteArray(1, '\0'), this, cb);
        });
        QVERIFY(r && !r->error.isError());
    }

    void registerWritesKeyDetailAndHostOnLease()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        reg.setHostInfo({{QStringLiteral("dockerVersion"), QStringLiteral("20.10.24")}});
        reg.start();
        const ServiceDefinition s =
            service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379);
        reg.registerService(s);
        QVERIFY(registered.wait(5000));
        QCOMPARE(registered.first().first().value<ServiceDefinition>(), s);
        QCOMPARE(conn.size(), 1);
        QCOMPARE(conn.first().first().toBool(), true);
        QVERIFY(reg.isConnected());
        QVERIFY(reg.leaseId() != 0);

        const auto key = get(QStringLiteral("/services/redis/core-01:redis.1:6379"));
        QVERIFY(key);
        QCOMPARE(key->value, QByteArray("10.0.0.5:49379"));
        QCOMPARE(key->lease, reg.leaseId());

        const auto detail = get(QStringLiteral("/portolan/services/core-01/core-01:redis.1:6379"));
        QVERIFY(detail);
        QCOMPARE(detail->lease, reg.leaseId());
        const QJsonObject d = QJsonDocument::fromJson(detail->value).object();
        QCOMPARE(d[QLatin1String("id")].toString(), s.id);
        QCOMPARE(d[QLatin1String("name")].toString(), QStringLiteral("redis"));
        QCOMPARE(d[QLatin1String("host")].toString(), QStringLiteral("core-01"));
        QCOMPARE(d[QLatin1String("ip")].toString(), QStringLiteral("10.0.0.5"));
        QCOMPARE(d[QLatin1String("port")].toInt(), 49379);
        QCOMPARE(d[QLatin1String("protocol")].toString(), QStringLiteral("tcp"));
        QCOMPARE(d[QLatin1String("tags")].toArray().first().toString(), QStringLiteral("primary"));
        QCOMPARE(d[QLatin1String("attributes")][QLatin1String("region")].toString(),
                 QStringLiteral("eu"));
        QCOMPARE(d[QLatin1String("containerId")].toString(), s.containerId);
        QCOMPARE(d[QLatin1String("containerName")].toString(), s.containerName);
        QCOMPARE(d[QLatin1String("image")].toString(), s.image);
        QCOMPARE(d[QLatin1String("key")].toString(),
                 QStringLiteral("/services/redis/core-01:redis.1:6379"));
        const QString at = d[QLatin1String("registeredAt")].toString();
        QVERIFY2(at.endsWith(QLatin1Char('Z')) &&
                     QDateTime::fromString(at, Qt::ISODateWithMs).isValid(),
                 qPrintable(at));

        QVERIFY(waitIdle(reg));
        const auto host = get(QStringLiteral("/portolan/hosts/core-01"));
        QVERIFY(host);
        QCOMPARE(host->lease, reg.leaseId());
        const QJsonObject h = QJsonDocument::fromJson(host->value).object();
        QCOMPARE(h[QLatin1String("hostname")].toString(), QStringLiteral("core-01"));
        QVERIFY(!h[QLatin1String("agentVersion")].toString().isEmpty());
        QVERIFY(!h[QLatin1String("startedAt")].toString().isEmpty());
        QCOMPARE(h[QLatin1String("dockerVersion")].toString(), QStringLiteral("20.10.24"));
    }

    void deregisterRemovesKeyAndDetail()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy deregistered(&reg, &Registry::serviceDeregistered);
        reg.start();
        const ServiceDefinition s =
            service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379);
        reg.registerService(s);
        QVERIFY(waitIdle(reg));
        QVERIFY(get(QStringLiteral("/services/redis/core-01:redis.1:6379")));
        reg.deregisterService(s);
        QVERIFY(deregistered.wait(5000));
        QCOMPARE(deregistered.first().first().value<ServiceDefinition>(), s);
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:redis.1:6379")));
        QVERIFY(!get(QStringLiteral("/portolan/services/core-01/core-01:redis.1:6379")));
        QVERIFY(get(QStringLiteral("/portolan/hosts/core-01"))); // the host record stays
    }

    void reconcileRemovesOwnStaleRecordsOnly()
    {
        // Left over by an earlier run of this agent, and by an agent on another host.
        auto plant = [&](const QString &host, const QString &id) {
            const QString key = QStringLiteral("/services/old/") + id;
            const QJsonObject rec{{QStringLiteral("id"), id}, {QStringLiteral("key"), key}};
            QVERIFY(
                awaitEtcd([&](auto cb) { m_raw->put(key.toUtf8(), "10.0.0.9:1", 0, this, cb); }));
            QVERIFY(awaitEtcd([&](auto cb) {
                m_raw->put(QStringLiteral("/portolan/services/%1/%2").arg(host, id).toUtf8(),
                           QJsonDocument(rec).toJson(QJsonDocument::Compact), 0, this, cb);
            }));
        };
        plant(QStringLiteral("core-01"), QStringLiteral("core-01:gone.1:80"));
        plant(QStringLiteral("core-02"), QStringLiteral("core-02:other.1:80"));

        EtcdV3Registry reg(config(m_etcd.endpoint()));
        QSignalSpy stale(&reg, &Registry::staleRemoved);
        reg.start();
        const ServiceDefinition keep =
            service(QStringLiteral("core-01"), QStringLiteral("web.1"), 80);
        reg.reconcile({keep});
        QVERIFY(waitIdle(reg));
        QCOMPARE(stale.size(), 1);
        QCOMPARE(stale.first().first().toString(),
                 QStringLiteral("/services/old/core-01:gone.1:80"));
        QVERIFY(!get(QStringLiteral("/services/old/core-01:gone.1:80")));
        QVERIFY(!get(QStringLiteral("/portolan/services/core-01/core-01:gone.1:80")));
        QVERIFY(get(QStringLiteral("/services/old/core-02:other.1:80")));
        QVERIFY(get(QStringLiteral("/portolan/services/core-02/core-02:other.1:80")));
        QVERIFY(get(QStringLiteral("/services/redis/core-01:web.1:80")));

        // A second reconcile with a smaller set removes what this run wrote itself.
        stale.clear();
        reg.reconcile({});
        QVERIFY(waitIdle(reg));
        QCOMPARE(stale.size(), 1);
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:web.1:80")));
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
        QVERIFY2(ms < 3000, "batched registration is slow");
    }

    void keepAliveOutlivesTtlAndStopKeepsKeys()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint(), 2)); // keep-alive every ~667 ms
        reg.start();
        reg.registerService(service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379));
        QVERIFY(waitIdle(reg));
        QTest::qWait(3500);
        QVERIFY(get(QStringLiteral("/services/redis/core-01:redis.1:6379")));
        reg.stop(); // must neither delete nor revoke
        QVERIFY(get(QStringLiteral("/services/redis/core-01:redis.1:6379")));
        QTRY_VERIFY_WITH_TIMEOUT(!get(QStringLiteral("/services/redis/core-01:redis.1:6379")),
                                 5000);
    }

    void lostLeaseIsReplacedAndEverythingPutAgain()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint(), 3, 1));
        QSignalSpy granted(&reg, &EtcdV3Registry::leaseGranted);
        reg.start();
        reg.registerService(service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379));
        QVERIFY(waitIdle(reg));
        const qint64 first = reg.leaseId();
        QVERIFY(awaitEtcd([&](auto cb) { m_raw->leaseRevoke(first, this, cb); }));
        QVERIFY(!get(QStringLiteral("/services/redis/core-01:redis.1:6379")));
        QElapsedTimer t;
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(get(QStringLiteral("/services/redis/core-01:redis.1:6379")), 3000);
        qInfo("keys back %lld ms after the lease was revoked", t.elapsed());
        QVERIFY(reg.leaseId() != first);
        QCOMPARE(granted.size(), 2);
        QVERIFY(waitIdle(reg));
        QCOMPARE(get(QStringLiteral("/portolan/hosts/core-01"))->lease, reg.leaseId());
        QCOMPARE(get(QStringLiteral("/portolan/services/core-01/core-01:redis.1:6379"))->lease,
                 reg.leaseId());
    }

    void unreachableEtcdIsReportedOnce()
    {
        const QString dead = QStringLiteral("http://127.0.0.1:%1").arg(EtcdTestServer::freePort());
        EtcdV3Registry reg(config(dead));
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        reg.start();
        reg.registerService(service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379));
        QTest::qWait(2000); // several retries
        QCOMPARE(conn.size(), 1);
        QCOMPARE(conn.first().at(0).toBool(), false);
        QCOMPARE(conn.first().at(1).toString(),
                 QStringLiteral("etcd at %1 refused the connection").arg(dead.mid(7)));
        QVERIFY(!reg.isConnected());
    }

    void etcdRestartIsHealedWithinASecond()
    {
        EtcdTestServer etcd;
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClientOptions o;
        o.endpoints = {etcd.endpoint()};
        EtcdClient raw(o);

        EtcdV3Registry reg(config(etcd.endpoint(), 10));
        QSignalSpy conn(&reg, &Registry::connectionChanged);
        reg.start();
        reg.registerService(service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379));
        QVERIFY(waitIdle(reg));
        QCOMPARE(conn.size(), 1);

        etcd.stop();
        // A container started while etcd is away: queued, reported once, retried.
        reg.registerService(service(QStringLiteral("core-01"), QStringLiteral("redis.2"), 6380));
        QTRY_COMPARE_WITH_TIMEOUT(conn.size(), 2, 5000);
        QCOMPARE(conn.at(1).at(0).toBool(), false);
        qInfo() << "while etcd is down:" << conn.at(1).at(1).toString();
        QTest::qWait(1500);
        QCOMPARE(conn.size(), 2); // no flood

        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QElapsedTimer t;
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(get(QStringLiteral("/services/redis/core-01:redis.2:6380"), &raw),
                                 3000);
        const qint64 ms = t.elapsed();
        qInfo("keys back %lld ms after etcd answered again", ms);
        QVERIFY2(ms < 1500, "recovery took too long");
        QCOMPARE(conn.size(), 3);
        QCOMPARE(conn.at(2).at(0).toBool(), true);
        QVERIFY(get(QStringLiteral("/services/redis/core-01:redis.1:6379"), &raw));
        QVERIFY(waitIdle(reg));
        QVERIFY(get(QStringLiteral("/portolan/hosts/core-01"), &raw));
    }

    void factoryChoosesByBackend()
    {
        RegistryConfig c = config(m_etcd.endpoint());
        std::unique_ptr<Registry> v3(createRegistry(c, nullptr));
        QVERIFY(qobject_cast<EtcdV3Registry *>(v3.get()));
        QVERIFY2(v3->describe().startsWith(QStringLiteral("etcd v3 at 127.0.0.1:")),
                 qPrintable(v3->describe()));
        QVERIFY(v3->describe().endsWith(QStringLiteral(" prefix /services")));
    }
};

QTEST_GUILESS_MAIN(TestEtcdV3Registry)
#include "tst_etcdv3registry.moc"
