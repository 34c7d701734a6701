// HaproxyConfig: server names (stable, unique, safe for HAProxy whatever the id), the file
// portolan-lb writes and reads back, and HaproxyDriver::classify from the driver's own record.
#include "balancer/HaproxyConfig.h"
#include "balancer/HaproxyDriver.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

namespace {
// haproxy -c wants a listener (else exit 2) and timeouts (else a warning); it binds nothing.
const char mainConfig[] = "defaults\n    timeout connect 1s\n    timeout client 1s\n"
                          "    timeout server 1s\nlisten stats\n    mode http\n"
                          "    bind 127.0.0.1:9\n";

PlannedServer server(const QString &id, const QString &ip, int port)
{
    PlannedServer s;
    s.id = id;
    s.ip = ip;
    s.port = port;
    return s;
}

PlannedBackend backend(const QString &service, PlannedBackend::Mode mode,
                       QList<PlannedServer> servers)
{
    PlannedBackend b;
    b.service = service;
    b.name = QStringLiteral("portolan_") + service;
    b.mode = mode;
    b.servers = servers;
    b.registered = int(servers.size());
    return b;
}

BalancerPlan webPlan()
{
    BalancerPlan plan;
    plan.backends = {backend("web", PlannedBackend::Mode::Http,
                             {server("core-01:web.1:80", "10.0.0.5", 32768),
                              server("core-02:web.2:80", "10.0.0.6", 32769)})};
    return plan;
}
} // namespace

class TestHaproxyConfig : public QObject {
    Q_OBJECT
private slots:
    void serverNameIsSafeAndStable_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("prefix");
        QTest::newRow("plain") << "core-01:web.1:80"
                               << "core-01:web.1:80-";
        QTest::newRow("space and slash") << "host a/web 1:80"
                                         << "host_a_web_1:80-";
        QTest::newRow("semicolon") << "h:x;del server:80"
                                   << "h:x_del_server:80-";
        QTest::newRow("unicode") << QString::fromUtf8("hôte:wéb:80") << "h_te:w_b:80-";
        QTest::newRow("empty") << ""
                               << "server-";
        QTest::newRow("long") << QString(60, QLatin1Char('a'))
                              << QString(40, QLatin1Char('a')) + "-";
    }
    void serverNameIsSafeAndStable()
    {
        QFETCH(QString, id);
        QFETCH(QString, prefix);
        const QString name = HaproxyConfig::serverName(id, "10.0.0.5:80");
        QVERIFY2(name.startsWith(prefix), qPrintable(name));
        QCOMPARE(name.size(), prefix.size() + 8);
        QVERIFY(HaproxyConfig::isSafeName(name));
        QCOMPARE(HaproxyConfig::serverName(id, "10.0.0.5:80"), name); // stable
    }

    void serverNamesAreUnique()
    {
        // Ids that differ only in characters that are made safe, and one id at two addresses.
        QSet<QString> names;
        const QStringList ids = {"a/b:80", "a_b:80", "a b:80", "a;b:80", "a:b:80"};
        for (const QString &id : ids)
            names.insert(HaproxyConfig::serverName(id, "10.0.0.5:80"));
        names.insert(HaproxyConfig::serverName("a/b:80", "10.0.0.5:81"));
        QCOMPARE(names.size(), ids.size() + 1);
    }

    void unsafeBackendNameIsRefused()
    {
        BalancerPlan plan = webPlan();
        plan.backends[0].name = "portolan_web;shutdown";
        QString error;
        HaproxyConfig::fromPlan(plan, &error);
        QVERIFY2(error.contains("portolan_web;shutdown"), qPrintable(error));
    }

    void duplicateServerIsRefused()
    {
        BalancerPlan plan = webPlan();
        plan.backends[0].servers.append(plan.backends[0].servers.first());
        QString error;
        HaproxyConfig::fromPlan(plan, &error);
        QVERIFY2(error.contains("share the server name"), qPrintable(error));
    }

    void rendersOneBackendPerService()
    {
        BalancerPlan plan = webPlan();
        plan.backends.append(backend("redis", PlannedBackend::Mode::Tcp,
                                     {server("core-01:redis.1:6379", "fd00::5", 49153)}));
        QString error;
        const HaproxyState state = HaproxyConfig::fromPlan(plan, &error);
        QVERIFY(error.isEmpty());
        const QString text = HaproxyConfig::render(state);
        QVERIFY(text.startsWith("# Written by portolan-lb"));
        QVERIFY(text.contains("overwritten"));
        const QString web = text.section("backend portolan_web\n", 1).section("\nbackend", 0, 0);
        const QString redis =
            text.section("backend portolan_redis\n", 1).section("\nbackend", 0, 0);
        QVERIFY(web.contains("    mode http\n"));
        QVERIFY(web.contains("    balance roundrobin\n"));
        QVERIFY(web.contains("    option redispatch 1\n    retries 3\n"));
        QVERIFY(web.contains("retry-on conn-failure empty-response"));
        QVERIFY(web.contains(
            QStringLiteral("    server %1 10.0.0.5:32768\n")
                .arg(HaproxyConfig::serverName("core-01:web.1:80", "10.0.0.5:32768"))));
        QVERIFY(redis.contains("    mode tcp\n"));
        QVERIFY(!redis.contains("retry-on")); // layer 7 retries are HTTP only
        QVERIFY(redis.contains(" [fd00::5]:49153\n"));
        // Read back, the file is the same state.
        const HaproxyState back = HaproxyConfig::parse(text, &error);
        QVERIFY(error.isEmpty());
        QVERIFY(back == state);
    }

    void renderedFilePassesHaproxyCheck()
    {
        // The real haproxy -c on the rendered file beside a minimal main config.
        QTemporaryDir dir;
        QFile main(dir.filePath("main.cfg"));
        QVERIFY(main.open(QIODevice::WriteOnly));
        main.write(mainConfig);
        main.close();
        BalancerPlan plan = webPlan();
        plan.backends.append(backend("redis", PlannedBackend::Mode::Tcp,
                                     {server("core-01:redis.1:6379", "fd00::5", 49153)}));
        plan.backends.append(backend("empty", PlannedBackend::Mode::Http, {}));
        QString error;
        HaproxyConfigFile file(dir.filePath("portolan.cfg"), main.fileName(), "haproxy", 10000);
        bool refused = false;
        error = file.stage(HaproxyConfig::render(HaproxyConfig::fromPlan(plan, &error)), &refused);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(!refused);
        // A bad option is refused with haproxy's own line, and no file is left behind.
        error = file.stage("backend portolan_x\n    bogus_option 1\n", &refused);
        QVERIFY(refused);
        QVERIFY2(error.contains("unknown keyword 'bogus_option'"), qPrintable(error));
        QVERIFY(!QFile::exists(dir.filePath("portolan.cfg")));
        QVERIFY(!QFile::exists(dir.filePath("portolan.cfg.new")));
    }

    void classifyFromTheDriversRecord()
    {
        QTemporaryDir dir;
        QFile main(dir.filePath("main.cfg"));
        QVERIFY(main.open(QIODevice::WriteOnly));
        main.write(mainConfig);
        main.close();
        // A file left by an earlier run: the driver's first guess of what HAProxy holds.
        QString error;
        QFile existing(dir.filePath("portolan.cfg"));
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.write(HaproxyConfig::render(HaproxyConfig::fromPlan(webPlan(), &error)).toUtf8());
        existing.close();
        HaproxyDriver::Options o;
        o.configPath = dir.filePath("portolan.cfg");
        o.mainConfigPath = main.fileName();
        o.runtimeSocket = dir.filePath("none.sock");
        o.masterSocket = dir.filePath("none-master.sock");
        HaproxyDriver driver(o);
        QCOMPARE(driver.prepare(), QString());
        QVERIFY(driver.version().startsWith("2."));
        using C = BalancerDriver::Change;
        // Not yet confirmed from HAProxy: the same backends still need one runtime exchange.
        QCOMPARE(driver.classify(webPlan()), C::Runtime);
        BalancerPlan more = webPlan();
        more.backends[0].servers.append(server("core-03:web.3:80", "10.0.0.7", 32770));
        QCOMPARE(driver.classify(more), C::Runtime);
        BalancerPlan none = webPlan();
        none.backends[0].servers.clear();
        QCOMPARE(driver.classify(none), C::Runtime);
        BalancerPlan tcp = webPlan();
        tcp.backends[0].mode = PlannedBackend::Mode::Tcp;
        QCOMPARE(driver.classify(tcp), C::Reload);
        BalancerPlan added = webPlan();
        added.backends.append(backend("api", PlannedBackend::Mode::Http, {}));
        QCOMPARE(driver.classify(added), C::Reload);
        QCOMPARE(driver.classify(BalancerPlan{}), C::Reload);
        // HAProxy is not running: apply says so, and leaves the checked file for its start.
        const BalancerDriver::Result r = driver.apply(more);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains("none.sock does not exist"), qPrintable(r.error));
        QVERIFY2(r.error.contains("is written for haproxy's next start"), qPrintable(r.error));
        QFile written(o.configPath);
        QVERIFY(written.open(QIODevice::ReadOnly));
        QVERIFY(written.readAll().contains("10.0.0.7:32770"));
        QString verifyError;
        QVERIFY(!driver.verify(&verifyError));
        QVERIFY(verifyError.contains("stats socket"));
    }

    void prepareSaysWhatIsMissing()
    {
        QTemporaryDir dir;
        HaproxyDriver::Options o;
        o.configPath = dir.filePath("portolan.cfg");
        o.mainConfigPath = dir.filePath("missing.cfg");
        HaproxyDriver noMain(o);
        QVERIFY(noMain.prepare().contains("missing.cfg is not a readable file"));
        o.haproxyBinary = dir.filePath("no-haproxy");
        HaproxyDriver noBinary(o);
        QVERIFY(noBinary.prepare().contains("install haproxy"));
    }
};

QTEST_GUILESS_MAIN(TestHaproxyConfig)
#include "tst_haproxyconfig.moc"
