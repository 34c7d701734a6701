// portolan-lb's command line: the flags, defaults and the one-line errors of bad input.
#include "balancer/LbOptions.h"

#include <QTest>

class TestLbOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void haproxyDefaults()
    {
        const LbArguments a = LbArguments::parse(
            {"-driver", "haproxy", "-route=web,api", "-route-tag", "lb", "etcd://127.0.0.1:2379"});
        QCOMPARE(a.outcome, LbArguments::Outcome::Run);
        QCOMPARE(a.options.driver, QStringLiteral("haproxy"));
        QCOMPARE(a.options.routeNames, (QStringList{"web", "api"}));
        QCOMPARE(a.options.routeTags, (QStringList{"lb"}));
        QCOMPARE(a.options.registryUri, QStringLiteral("etcd://127.0.0.1:2379"));
        QCOMPARE(a.options.haproxyConfig, QStringLiteral("/etc/haproxy/portolan.cfg"));
        QCOMPARE(a.options.reloadIntervalMs, 2000);
    }

    void repeatedRoutesAccumulate()
    {
        const LbArguments a = LbArguments::parse({"-driver=nginx", "-route", "web", "-route",
                                                  "redis", "-tcp", "redis", "-nginx-stream-config",
                                                  "/tmp/s.conf", "etcds://10.0.0.2:2379/services"});
        QCOMPARE(a.outcome, LbArguments::Outcome::Run);
        QCOMPARE(a.options.routeNames, (QStringList{"web", "redis"}));
        QCOMPARE(a.options.tcpNames, (QStringList{"redis"}));
        QCOMPARE(a.options.nginxMaxFails, 1);
        QCOMPARE(a.options.nginxFailTimeoutSeconds, 10);
    }

    void nginxPassiveFailover()
    {
        const LbArguments a =
            LbArguments::parse({"-driver=nginx", "-route", "web", "-nginx-max-fails", "0",
                                "-nginx-fail-timeout=30", "etcd://127.0.0.1:2379"});
        QCOMPARE(a.outcome, LbArguments::Outcome::Run);
        QCOMPARE(a.options.nginxMaxFails, 0);
        QCOMPARE(a.options.nginxFailTimeoutSeconds, 30);
    }

    void helpAndVersion()
    {
        QCOMPARE(LbArguments::parse({"-help"}).outcome, LbArguments::Outcome::Help);
        QCOMPARE(LbArguments::parse({"--version"}).outcome, LbArguments::Outcome::Version);
        const QString usage = LbArguments::usage();
        QVERIFY(usage.contains("-route-tag value"));
        QVERIFY(usage.contains("-haproxy-master-socket value"));
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("no driver") << QStringList{"-route", "web", "etcd://h:1"}
                                   << "-driver is required: haproxy or nginx";
        QTest::newRow("bad driver")
            << QStringList{"-driver", "envoy", "-route", "web", "etcd://h:1"}
            << "-driver must be haproxy or nginx, not \"envoy\"";
        QTest::newRow("nothing routed")
            << QStringList{"-driver", "haproxy", "etcd://h:1"}
            << "nothing to route: give -route NAME[,NAME] and/or -route-tag TAG";
        QTest::newRow("tcp not routed")
            << QStringList{"-driver", "haproxy", "-route", "web", "-tcp", "redis", "etcd://h:1"}
            << "-tcp redis is not routed: add it to -route";
        QTest::newRow("no uri") << QStringList{"-driver", "haproxy", "-route", "web"}
                                << "missing required argument for the etcd URI, e.g. "
                                   "etcd://127.0.0.1:2379";
        QTest::newRow("unknown flag") << QStringList{"-drvier", "haproxy", "etcd://h:1"}
                                      << "flag provided but not defined: -drvier";
        QTest::newRow("bad number")
            << QStringList{"-driver", "haproxy", "-route", "web", "-quiet", "soon", "etcd://h:1"}
            << "invalid value \"soon\" for flag -quiet: not an integer";
        QTest::newRow("fail timeout 0")
            << QStringList{"-driver", "nginx",     "-route", "web", "-nginx-fail-timeout",
                           "0",       "etcd://h:1"}
            << "invalid value \"0\" for flag -nginx-fail-timeout: must be at least 1";
        QTest::newRow("max below quiet")
            << QStringList{"-driver", "nginx", "-route", "web", "-max-delay", "10", "etcd://h:1"}
            << "-max-delay (10 ms) must be at least -quiet and -reload-quiet";
        QTest::newRow("bad metrics")
            << QStringList{"-driver",  "nginx",    "-route",    "web",
                           "-metrics", "anywhere", "etcd://h:1"}
            << "-metrics must be ADDR:PORT with an IP address, e.g. 127.0.0.1:9465, not "
               "\"anywhere\"";
        QTest::newRow("extra")
            << QStringList{"-driver", "nginx", "-route", "web", "etcd://h:1", "-ttl", "5"}
            << "extra arguments after the etcd URI: -ttl 5 (options must come before the etcd "
               "URI)";
        QTest::newRow("control character")
            << QStringList{"-driver", "ha\nproxy", "-route", "web", "etcd://h:1"}
            << "-driver must be haproxy or nginx, not \"ha\\nproxy\"";
    }

    void errors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        const LbArguments a = LbArguments::parse(args);
        QCOMPARE(a.outcome, LbArguments::Outcome::Error);
        QCOMPARE(a.error, error);
    }
};

QTEST_GUILESS_MAIN(TestLbOptions)
#include "tst_lboptions.moc"
