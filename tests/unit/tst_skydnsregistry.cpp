#include "EtcdTestServer.h"
#include "RegistryTestSupport.h"
#include "etcd/EtcdClient.h"
#include "registry/RegistryFactory.h"
#include "registry/SkyDnsRegistry.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>
#include <optional>

namespace {
RegistryConfig config(const QString &endpoint)
{
    RegistryConfig c;
    c.backend = RegistryConfig::Backend::SkyDns2;
    c.endpoints = {endpoint};
    c.domain = QStringLiteral("cluster.local");
    c.prefix = QStringLiteral("/skydns/local/cluster"); // as parseUri sets it
    c.hostname = QStringLiteral("core-01");
    c.ttlSeconds = 10;
    return c;
}
} // namespace

class TestSkyDnsRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dnsLabel_data()
    {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out");
        QTest::newRow("registrator id") << "core-01:redis.1:6379"
                                        << "core-01-redis-1-6379";
        QTest::newRow("upper case") << "Core-01:Redis_1:53:udp"
                                    << "core-01-redis-1-53-udp";
        QTest::newRow("repeats collapse") << "a::__..b"
                                          << "a-b";
        QTest::newRow("trim") << "--a--"
                              << "a";
        QTest::newRow("unicode") << "ключ:80"
                                 << "80";
        QTest::newRow("nothing left") << "::"
                                      << "x";
    }
    void dnsLabel()
    {
        QFETCH(QString, in);
        QFETCH(QString, out);
        QCOMPARE(SkyDnsRegistry::dnsLabel(in), out);
    }

    void longLabelsAreTruncatedWithHash()
    {
        const QString a =
            QStringLiteral("core-01:") + QString(80, QLatin1Char('a')) + QStringLiteral(":80");
        const QString b =
            QStringLiteral("core-01:") + QString(80, QLatin1Char('a')) + QStringLiteral(":81");
        const QString la = SkyDnsRegistry::dnsLabel(a);
        QVERIFY(la.size() <= 63);
        QVERIFY(!la.endsWith(QLatin1Char('-')));
        QVERIFY(la.startsWith(QStringLiteral("core-01-aaa")));
        QVERIFY(la != SkyDnsRegistry::dnsLabel(b));
        QCOMPARE(SkyDnsRegistry::dnsLabel(a), la); // stable
    }

    void roundTrip()
    {
        EtcdTestServer etcd;
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        std::unique_ptr<Registry> base(createRegistry(config(etcd.endpoint()), nullptr));
        auto *reg = qobject_cast<SkyDnsRegistry *>(base.get());
        QVERIFY(reg);
        QSignalSpy registered(reg, &Registry::serviceRegistered);
        QSignalSpy deregistered(reg, &Registry::serviceDeregistered);
        reg->start();
        ServiceDefinition s;
        s.id = QStringLiteral("core-01:Redis.1:6379");
        s.name = QStringLiteral("Redis_Cache");
        s.ip = QStringLiteral("10.0.0.5");
        s.port = 49153;
        reg->registerService(s);
        QVERIFY(registered.wait(5000));

        EtcdClientOptions o;
        o.endpoints = {etcd.endpoint()};
        EtcdClient raw(o);
        const QByteArray key("/skydns/local/cluster/redis-cache/core-01-redis-1-6379");
        auto r = awaitEtcd([&](auto cb) { raw.range(key, {}, this, cb); });
        QVERIFY(r && !r->error.isError());
        const auto kvs = EtcdClient::keyValues(r->json);
        QCOMPARE(kvs.size(), 1);
        QCOMPARE(kvs[0].lease, reg->leaseId());
        const QJsonObject v = QJsonDocument::fromJson(kvs[0].value).object();
        QCOMPARE(v, (QJsonObject{{"host", "10.0.0.5"}, {"port", 49153}}));

        // The detail record names the SkyDNS key, so reconcile can clean it up later.
        r = awaitEtcd([&](auto cb) {
            raw.range("/portolan/services/core-01/core-01:Redis.1:6379", {}, this, cb);
        });
        const QJsonObject detail =
            QJsonDocument::fromJson(EtcdClient::keyValues(r->json).value(0).value).object();
        QCOMPARE(detail[QLatin1String("key")].toString(), QString::fromUtf8(key));

        reg->deregisterService(s);
        QVERIFY(deregistered.wait(5000));
        r = awaitEtcd([&](auto cb) { raw.range(key, {}, this, cb); });
        QVERIFY(EtcdClient::keyValues(r->json).isEmpty());
        QVERIFY(reg->describe().contains(QStringLiteral("cluster.local")));
    }
};

QTEST_GUILESS_MAIN(TestSkyDnsRegistry)
#include "tst_skydnsregistry.moc"
