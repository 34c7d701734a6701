// EtcdV3Registry's records in a real etcd on loopback: the service key, its detail and the host
// record on the lease, removal, reconciling away this host's stale records (and only those),
// the detail's exact bytes, and the backend factory.
#include "EtcdV3RegistryTestSupport.h"
#include "registry/RegistryFactory.h"

#include <QJsonDocument>

class TestEtcdV3RegistryRecords : public EtcdV3RegistryTestCase {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { EtcdV3RegistryTestCase::initTestCase(); }
    void init() { EtcdV3RegistryTestCase::init(); }

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

    // A container's removal leaves as one txn in the call that hands it over (sendNow), not on
    // the next turn of the event loop.
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

    // An earlier run wrote a service's registrator key; this run withholds it (-register-healthy).
    // Only the earlier detail record names that key, so the sync's listing must be read before
    // this run's put replaces the record (integration.health failed once in CI on this race).
    void withheldKeyOfAnEarlierRunIsRemoved()
    {
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        reg.start();
        reg.reconcile({});
        QVERIFY(waitIdle(reg)); // holds its lease: the listing and the put go out together
        for (int i = 0; i < 20; ++i) {
            ServiceDefinition s =
                service(QStringLiteral("core-01"), QStringLiteral("web%1.1").arg(i), 80);
            const QString key = reg.publishedKey(s);
            const QJsonObject earlier{{QStringLiteral("id"), s.id}, {QStringLiteral("key"), key}};
            QVERIFY(
                awaitEtcd([&](auto cb) { m_raw->put(key.toUtf8(), "10.0.0.9:1", 0, this, cb); }));
            QVERIFY(awaitEtcd([&](auto cb) {
                m_raw->put(QStringLiteral("/portolan/services/core-01/%1").arg(s.id).toUtf8(),
                           QJsonDocument(earlier).toJson(QJsonDocument::Compact), 0, this, cb);
            }));
            s.health = QStringLiteral("unhealthy");
            s.keyWithheld = true;
            reg.beginReconcile();
            reg.registerService(s);
            reg.reconcile({s});
            QVERIFY(waitIdle(reg));
            QVERIFY2(!get(key), qPrintable(QStringLiteral("round %1: %2 kept").arg(i).arg(key)));
            QVERIFY(get(QStringLiteral("/portolan/services/core-01/%1").arg(s.id)));
        }
    }

    void detailValueIsWhatQJsonDocumentWrites_data()
    {
        QTest::addColumn<ServiceDefinition>("service");
        const ServiceDefinition plain =
            service(QStringLiteral("core-01"), QStringLiteral("redis.1"), 6379);
        QTest::newRow("plain") << plain;
        ServiceDefinition bare = plain;
        bare.tags.clear();
        bare.attributes.clear();
        bare.protocol = QStringLiteral("udp");
        bare.ip = QStringLiteral("fd00::5");
        QTest::newRow("no tags, no attributes, udp, IPv6") << bare;
        ServiceDefinition odd = plain;
        odd.name = QStringLiteral("quote\"back\\slash/solidus");
        odd.containerName = QStringLiteral("ctl\b\f\n\r\t\x01\x1f\x7f end");
        odd.image = QStringLiteral("r\u00e9gistre/\u6e2f:\U0001F6A2");
        odd.tags = QStringList{QStringLiteral("a"), QString(), QStringLiteral("t\"ag\\")};
        odd.attributes = {{QStringLiteral("zeta"), QStringLiteral("1")},
                          {QStringLiteral("alpha"), QStringLiteral("x\ny")},
                          {QStringLiteral("Mixed"), QString()},
                          {QStringLiteral("\u00fcber"), QStringLiteral("\u00fc")}};
        odd.port = 0;
        QTest::newRow("escapes, non-ASCII, empty values, attribute order") << odd;
        ServiceDefinition withheld = plain;
        withheld.health = QStringLiteral("unhealthy");
        withheld.keyWithheld = true; // -register-healthy: no registrator key, "key" empty
        QTest::newRow("unhealthy, key withheld") << withheld;
    }

    // The detail record is written by hand for speed; it must stay byte for byte what the
    // QJsonObject version wrote (the feed and the dashboard read it, docs/feed.md).
    void detailValueIsWhatQJsonDocumentWrites()
    {
        QFETCH(ServiceDefinition, service);
        EtcdV3Registry reg(config(m_etcd.endpoint()));
        const QByteArray written = reg.detailValue(service);
        QJsonParseError error{};
        const QJsonObject parsed = QJsonDocument::fromJson(written, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QJsonObject attributes;
        for (auto it = service.attributes.cbegin(); it != service.attributes.cend(); ++it)
            attributes.insert(it.key(), it.value());
        const QJsonObject expected{
            {QStringLiteral("id"), service.id},
            {QStringLiteral("name"), service.name},
            {QStringLiteral("host"), QStringLiteral("core-01")},
            {QStringLiteral("ip"), service.ip},
            {QStringLiteral("port"), service.port},
            {QStringLiteral("protocol"), service.protocol},
            {QStringLiteral("tags"), QJsonArray::fromStringList(service.tags)},
            {QStringLiteral("attributes"), attributes},
            {QStringLiteral("containerId"), service.containerId},
            {QStringLiteral("containerName"), service.containerName},
            {QStringLiteral("image"), service.image},
            {QStringLiteral("health"), service.health},
            {QStringLiteral("key"), reg.publishedKey(service)},
            {QStringLiteral("registeredAt"), parsed.value(QLatin1String("registeredAt"))},
        };
        QVERIFY(QDateTime::fromString(parsed.value(QLatin1String("registeredAt")).toString(),
                                      Qt::ISODateWithMs)
                    .isValid());
        QCOMPARE(written, QJsonDocument(expected).toJson(QJsonDocument::Compact));
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

QTEST_GUILESS_MAIN(TestEtcdV3RegistryRecords)
#include "tst_etcdv3registry_records.moc"
