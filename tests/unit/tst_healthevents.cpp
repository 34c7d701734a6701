// health_status events end to end inside the agent: RegistrationBridge against FakeDocker
// (recorded inspects of one container with a HEALTHCHECK, tests/data/docker) and FakeRegistry,
// then what the etcd registries write for it on a real etcd: the detail record always, the
// registrator key only while -register-healthy lets it.
#include "EtcdTestServer.h"
#include "FakeDocker.h"
#include "FakeRegistry.h"
#include "RegistryTestSupport.h"
#include "agent/RegistrationBridge.h"
#include "registry/Etcd2Registry.h"
#include "registry/EtcdV3Registry.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <memory>

namespace {
// Every log line while it lives.
class LogLines {
public:
    LogLines() { s_lines = &lines, m_previous = qInstallMessageHandler(&LogLines::handle); }
    ~LogLines() { qInstallMessageHandler(m_previous), s_lines = nullptr; }
    QStringList starting(const QString &prefix) const
    {
        QStringList out;
        for (const QString &l : lines)
            if (l.startsWith(prefix))
                out << l;
        return out;
    }
    QStringList lines;

private:
    static void handle(QtMsgType, const QMessageLogContext &, const QString &message)
    {
        if (s_lines)
            s_lines->append(message);
    }
    static inline QStringList *s_lines = nullptr;
    QtMessageHandler m_previous = nullptr;
};

// A service of container web.1 as the agent builds it, in a given health.
ServiceDefinition webService(const QString &health, bool withheld)
{
    ServiceDefinition s;
    s.hostname = QStringLiteral("core-01");
    s.id = QStringLiteral("core-01:web.1:80");
    s.name = QStringLiteral("web");
    s.ip = QStringLiteral("10.0.0.5");
    s.port = 49180;
    s.exposedPort = QStringLiteral("80");
    s.containerId = QStringLiteral("136af90190e3534077d3002772496fd5");
    s.containerName = QStringLiteral("web.1");
    s.image = QStringLiteral("example/web");
    s.health = health;
    s.keyWithheld = withheld;
    return s;
}

const QString kKey = QStringLiteral("/services/web/core-01:web.1:80");
const QString kDetail = QStringLiteral("/portolan/services/core-01/core-01:web.1:80");
} // namespace

class tst_HealthEvents : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<FakeDocker> m_docker;
    std::unique_ptr<FakeRegistry> m_registry;
    std::unique_ptr<RegistrationBridge> m_bridge;
    QString m_id; // the container of the health_* fixtures
    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_raw;

    void startBridge(bool registerHealthy)
    {
        ServiceOptions options;
        options.hostname = QStringLiteral("vm");
        options.resolvedHostIp = QStringLiteral("192.0.2.10");
        options.registerHealthyOnly = registerHealthy;
        m_bridge = std::make_unique<RegistrationBridge>(m_docker.get(), m_registry.get(),
                                                        ServiceBuilder(options),
                                                        RegistrationBridge::Settings());
        QSignalSpy synced(m_bridge.get(), &RegistrationBridge::synced);
        m_bridge->start();
        QVERIFY(synced.wait(5000));
    }
    // Docker's inspect answers from now on: the container in this state.
    void inspectSays(const QString &health)
    {
        m_docker->containers.insert(m_id, FakeDocker::fixture(QStringLiteral("health_") + health));
    }
    ServiceDefinition held() const
    {
        return m_registry->services.value(QStringLiteral("vm:web.1:80"));
    }
    int puts() const { return int(m_registry->calls.count(QStringLiteral("put vm:web.1:80"))); }
    // Lets queued answers and writes run.
    static void settle() { QTest::qWait(50); }

    std::optional<QByteArray> value(const QString &key)
    {
        auto r = awaitEtcd([&](auto cb) { m_raw->range(key.toUtf8(), {}, this, cb); });
        if (!r || r->error.isError())
            return std::nullopt;
        const auto kvs = EtcdClient::keyValues(r->json);
        return kvs.isEmpty() ? std::nullopt : std::optional<QByteArray>(kvs.first().value);
    }
    QJsonObject detail()
    {
        return QJsonDocument::fromJson(value(kDetail).value_or(QByteArray())).object();
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
        m_docker = std::make_unique<FakeDocker>();
        m_registry = std::make_unique<FakeRegistry>();
        m_id = m_docker->add(QStringLiteral("health_starting"));
        auto r = awaitEtcd([&](auto cb) {
            m_raw->deleteRange(QByteArray(1, '\0'), QByteArray(1, '\0'), this, cb);
        });
        QVERIFY(r && !r->error.isError());
    }
    void cleanup() { m_bridge.reset(); }

    // The event says the state: the service is written again at once, with no Docker call.
    void eventRewritesWithoutInspect()
    {
        LogLines log;
        startBridge(false);
        QCOMPARE(held().health, QStringLiteral("starting"));
        const int inspects = m_docker->inspects;
        const int putsBefore = puts();
        m_docker->sendEvent(QStringLiteral("health_status: unhealthy"), m_id);
        QCOMPARE(held().health, QStringLiteral("unhealthy")); // in the same call
        QVERIFY(!held().keyWithheld);
        m_docker->sendEvent(QStringLiteral("health_status: healthy"), m_id);
        QCOMPARE(held().health, QStringLiteral("healthy"));
        // The same state again (a reconnect replays nothing, but be safe): nothing written.
        m_docker->sendEvent(QStringLiteral("health_status: healthy"), m_id);
        settle();
        QCOMPARE(m_docker->inspects, inspects);
        QCOMPARE(puts(), putsBefore + 2);
        QCOMPARE(m_registry->reconciles, 1); // no resync
        QCOMPARE(log.starting(QStringLiteral("health:")),
                 QStringList({QStringLiteral("health: 136af90190e3 vm:web.1:80 unhealthy (was "
                                             "starting)"),
                              QStringLiteral("health: 136af90190e3 vm:web.1:80 healthy (was "
                                             "unhealthy)")}));
    }

    // docker stop's SIGTERM (a kill event) drains the container at once: health "stopping",
    // which later health_status events do not undo; a reload signal or SIGKILL changes nothing.
    void stopSignalDrains()
    {
        startBridge(false);
        m_docker->sendEvent(QStringLiteral("health_status: healthy"), m_id);
        QCOMPARE(held().health, QStringLiteral("healthy"));
        const int inspects = m_docker->inspects;
        m_docker->sendEvent(QStringLiteral("kill"), m_id, {{QStringLiteral("signal"), "1"}});
        QCOMPARE(held().health, QStringLiteral("healthy"));
        // SIGKILL: the die follows at once; no put for the removal to wait behind.
        m_docker->sendEvent(QStringLiteral("kill"), m_id, {{QStringLiteral("signal"), "9"}});
        QCOMPARE(held().health, QStringLiteral("healthy"));
        m_docker->sendEvent(QStringLiteral("kill"), m_id, {{QStringLiteral("signal"), "15"}});
        QCOMPARE(held().health, QStringLiteral("stopping"));
        QVERIFY(!held().keyWithheld); // registrator's key stays until the container dies
        m_docker->sendEvent(QStringLiteral("health_status: healthy"), m_id);
        settle();
        QCOMPARE(held().health, QStringLiteral("stopping"));
        QCOMPARE(m_docker->inspects, inspects);
    }

    // An event that names no state Portolan knows costs one inspect, which decides.
    void unknownStateInspectsOnce()
    {
        startBridge(false);
        const int inspects = m_docker->inspects;
        inspectSays(QStringLiteral("healthy"));
        m_docker->sendEvent(QStringLiteral("health_status"), m_id);
        QTRY_COMPARE(held().health, QStringLiteral("healthy"));
        QCOMPARE(m_docker->inspects, inspects + 1);
        m_docker->sendEvent(QStringLiteral("health_status: degraded"), m_id);
        settle();
        QCOMPARE(m_docker->inspects, inspects + 2);
        QCOMPARE(held().health, QStringLiteral("healthy"));
    }

    // A start's inspect answered before the first health_status event must not undo it.
    void eventWinsOverEarlierInspect()
    {
        startBridge(false);
        m_docker->holdInspects = true;
        m_docker->sendEvent(QStringLiteral("die"), m_id);
        m_docker->sendEvent(QStringLiteral("start"), m_id); // its inspect says "starting"
        m_docker->sendEvent(QStringLiteral("health_status: healthy"), m_id);
        QCOMPARE(m_docker->heldInspects(), 1);
        m_docker->releaseInspects();
        QTRY_VERIFY(m_registry->services.contains(QStringLiteral("vm:web.1:80")));
        QCOMPARE(held().health, QStringLiteral("healthy"));
        // The next start begins anew: its inspect's state stands.
        m_docker->sendEvent(QStringLiteral("die"), m_id);
        m_docker->sendEvent(QStringLiteral("start"), m_id);
        QTRY_VERIFY(m_registry->services.contains(QStringLiteral("vm:web.1:80")));
        QCOMPARE(held().health, QStringLiteral("starting"));
    }

    // Events kept during a sync are applied after it, on top of the sync's inspects.
    void eventDuringSyncApplied()
    {
        m_docker->holdInspects = true;
        ServiceOptions options;
        options.hostname = QStringLiteral("vm");
        options.resolvedHostIp = QStringLiteral("192.0.2.10");
        m_bridge = std::make_unique<RegistrationBridge>(m_docker.get(), m_registry.get(),
                                                        ServiceBuilder(options),
                                                        RegistrationBridge::Settings());
        QSignalSpy synced(m_bridge.get(), &RegistrationBridge::synced);
        m_bridge->start();
        QTRY_COMPARE(m_docker->heldInspects(), 1);
        m_docker->sendEvent(QStringLiteral("health_status: unhealthy"), m_id);
        m_docker->releaseInspects(); // answers at once: the sync ends in this call
        QTRY_COMPARE(synced.size(), 1);
        QTRY_COMPARE(held().health, QStringLiteral("unhealthy"));
    }

    // -register-healthy: the service stays in the registry with its health; only keyWithheld
    // flips, and the log says when the registrator key is written and removed.
    void registerHealthyFlipsKey()
    {
        LogLines log;
        startBridge(true);
        QCOMPARE(held().health, QStringLiteral("starting"));
        QVERIFY(held().keyWithheld);
        QCOMPARE(log.starting(QStringLiteral("added:")),
                 QStringList(QStringLiteral("added: 136af90190e3 vm:web.1:80 (starting: "
                                            "registrator key withheld until healthy)")));
        m_docker->sendEvent(QStringLiteral("health_status: healthy"), m_id);
        QVERIFY(!held().keyWithheld);
        m_docker->sendEvent(QStringLiteral("health_status: unhealthy"), m_id);
        QVERIFY(held().keyWithheld);
        QCOMPARE(log.starting(QStringLiteral("health:")),
                 QStringList({QStringLiteral("health: 136af90190e3 vm:web.1:80 healthy (was "
                                             "starting); registrator key written"),
                              QStringLiteral("health: 136af90190e3 vm:web.1:80 unhealthy (was "
                                             "healthy); registrator key removed until healthy")}));
        QVERIFY(!m_registry->calls.contains(QStringLiteral("del vm:web.1:80")));
    }

    // etcd v3: the detail record always (with its health), the registrator key only while
    // not withheld; the record's "key" names the registrator key only while it exists.
    void etcdV3WritesKeyOnlyWhenHealthy()
    {
        EtcdV3Registry reg(
            testRegistryConfig(RegistryConfig::Backend::EtcdV3, m_etcd.endpoint(), 10, 0));
        reg.start();
        reg.registerService(webService(QStringLiteral("starting"), true));
        QVERIFY(waitIdle(reg));
        QVERIFY(!value(kKey));
        QCOMPARE(detail().value(QLatin1String("health")).toString(), QStringLiteral("starting"));
        QCOMPARE(detail().value(QLatin1String("key")).toString(), QString());

        reg.registerService(webService(QStringLiteral("healthy"), false));
        QVERIFY(waitIdle(reg));
        QCOMPARE(value(kKey).value_or("<absent>"), QByteArray("10.0.0.5:49180"));
        QCOMPARE(detail().value(QLatin1String("health")).toString(), QStringLiteral("healthy"));
        QCOMPARE(detail().value(QLatin1String("key")).toString(), kKey);

        reg.registerService(webService(QStringLiteral("unhealthy"), true));
        QVERIFY(waitIdle(reg));
        QVERIFY(!value(kKey));
        QCOMPARE(detail().value(QLatin1String("health")).toString(), QStringLiteral("unhealthy"));

        // Without -register-healthy an unhealthy container keeps its key.
        reg.registerService(webService(QStringLiteral("unhealthy"), false));
        QVERIFY(waitIdle(reg));
        QVERIFY(value(kKey));
        reg.deregisterService(webService(QStringLiteral("unhealthy"), false));
        QVERIFY(waitIdle(reg));
        QVERIFY(!value(kKey));
        QVERIFY(!value(kDetail));
        reg.stop();
    }

    // An agent restarted with -register-healthy while its container is unhealthy removes the
    // registrator key its previous run wrote, found through the previous detail record.
    void restartRemovesKeyOfEarlierRun()
    {
        const RegistryConfig c =
            testRegistryConfig(RegistryConfig::Backend::EtcdV3, m_etcd.endpoint(), 10, 0);
        {
            EtcdV3Registry before(c);
            before.start();
            before.registerService(webService(QStringLiteral("healthy"), false));
            QVERIFY(waitIdle(before));
            before.stop(); // keys stay until the lease expires
        }
        QVERIFY(value(kKey));
        EtcdV3Registry after(c);
        after.start();
        after.beginReconcile();
        const ServiceDefinition unhealthy = webService(QStringLiteral("unhealthy"), true);
        after.registerService(unhealthy);
        after.reconcile({unhealthy});
        QTRY_VERIFY_WITH_TIMEOUT(!value(kKey), 5000);
        QVERIFY(waitIdle(after));
        QCOMPARE(detail().value(QLatin1String("health")).toString(), QStringLiteral("unhealthy"));
        after.stop();
    }

    // etcd v2 has no detail record: a withheld service is simply not registered.
    void etcd2RegistersOnlyWhenHealthy()
    {
        EtcdTestServer etcd(EtcdTestServer::Options::v2());
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        Etcd2Registry reg(
            testRegistryConfig(RegistryConfig::Backend::EtcdV2, etcd.endpoint(), 10, 0));
        QSignalSpy registered(&reg, &Registry::serviceRegistered);
        QSignalSpy deregistered(&reg, &Registry::serviceDeregistered);
        reg.start();
        auto v2 = [&]() {
            EtcdClientOptions o;
            o.endpoints = {etcd.endpoint()};
            EtcdClient client(o);
            EtcdRequest req;
            req.method = "GET";
            req.path = Etcd2Registry::keysPath(kKey);
            req.v3Auth = false;
            auto r = awaitEtcd([&](auto cb) { client.send(req, this, cb); });
            return r && !r->error.isError();
        };
        reg.reconcile({webService(QStringLiteral("starting"), true)});
        QVERIFY(waitIdle(reg));
        QVERIFY(!v2());
        reg.registerService(webService(QStringLiteral("healthy"), false));
        QVERIFY(waitIdle(reg));
        QVERIFY(v2());
        QCOMPARE(registered.size(), 1);
        reg.registerService(webService(QStringLiteral("unhealthy"), true));
        QVERIFY(waitIdle(reg));
        QVERIFY(!v2());
        QCOMPARE(deregistered.size(), 1);
        reg.stop();
    }
};

QTEST_GUILESS_MAIN(tst_HealthEvents)
#include "tst_healthevents.moc"
