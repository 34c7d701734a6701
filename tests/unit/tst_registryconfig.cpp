#include "registry/RegistryConfig.h"

#include <QTest>

class tst_RegistryConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parses_data();
    void parses();
    void rejects_data();
    void rejects();
    void etcd2RefusesAuthFlags();
};

void tst_RegistryConfig::parses_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<int>("backend");
    QTest::addColumn<QStringList>("endpoints");
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");

    using B = RegistryConfig::Backend;
    QTest::newRow("registrator example") << "etcd://127.0.0.1:2379/services" << int(B::EtcdV3)
                                         << QStringList{"http://127.0.0.1:2379"} << "/services"
                                         << ""
                                         << "";
    QTest::newRow("default port") << "etcd://10.0.0.2/services" << int(B::EtcdV3)
                                  << QStringList{"http://10.0.0.2:2379"} << "/services"
                                  << ""
                                  << "";
    QTest::newRow("several endpoints")
        << "etcd://127.0.0.1:2379,127.0.0.2:22379/a/b/" << int(B::EtcdV3)
        << QStringList{"http://127.0.0.1:2379", "http://127.0.0.2:22379"} << "/a/b"
        << ""
        << "";
    QTest::newRow("tls") << "etcds://etcd-1:2379/services" << int(B::EtcdV3)
                         << QStringList{"https://etcd-1:2379"} << "/services"
                         << ""
                         << "";
    QTest::newRow("ipv6") << "etcd://[::1]:2379/services" << int(B::EtcdV3)
                          << QStringList{"http://[::1]:2379"} << "/services"
                          << ""
                          << "";
    QTest::newRow("userinfo") << "etcd://agent:s%40cret@127.0.0.1:2379/services" << int(B::EtcdV3)
                              << QStringList{"http://127.0.0.1:2379"} << "/services"
                              << "agent"
                              << "s@cret";
    QTest::newRow("no host: registrator's default")
        << "etcd:///services" << int(B::EtcdV3) << QStringList{"http://127.0.0.1:2379"}
        << "/services"
        << ""
        << "";
    QTest::newRow("etcd2") << "etcd2://127.0.0.1:4001/services" << int(B::EtcdV2)
                           << QStringList{"http://127.0.0.1:4001"} << "/services"
                           << ""
                           << "";
    QTest::newRow("skydns2") << "skydns2://127.0.0.1:2379/Cluster.Local" << int(B::SkyDns2)
                             << QStringList{"http://127.0.0.1:2379"} << "/skydns/local/cluster"
                             << ""
                             << "";
}

void tst_RegistryConfig::parses()
{
    QFETCH(QString, uri);
    QFETCH(int, backend);
    QFETCH(QStringList, endpoints);
    QFETCH(QString, prefix);
    QFETCH(QString, user);
    QFETCH(QString, password);
    RegistryConfig c;
    QString error;
    QVERIFY2(RegistryConfig::parseUri(uri, &c, &error), qPrintable(error));
    QCOMPARE(int(c.backend), backend);
    QCOMPARE(c.endpoints, endpoints);
    QCOMPARE(c.prefix, prefix);
    QCOMPARE(c.username, user);
    QCOMPARE(c.password, password);
    QVERIFY(!c.uri.contains(QLatin1String("cret")));
}

void tst_RegistryConfig::rejects_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("no scheme") << "127.0.0.1:2379/services"
                               << "expected SCHEME://";
    QTest::newRow("unknown scheme") << "consul://127.0.0.1:8500"
                                    << "unrecognized adapter";
    QTest::newRow("bad port") << "etcd://127.0.0.1:99999/services"
                              << "bad port";
    QTest::newRow("port not a number") << "etcd://127.0.0.1:abc/services"
                                       << "bad port";
    QTest::newRow("empty host in list") << "etcd://127.0.0.1:2379,/services"
                                        << "no host";
    QTest::newRow("bad host char") << "etcd://exa mple:2379/services"
                                   << "bad host name";
    QTest::newRow("query") << "etcd://127.0.0.1:2379/services?x=1"
                           << "query";
    QTest::newRow("double slash path") << "etcd://127.0.0.1:2379/a//b"
                                       << "empty segment";
    QTest::newRow("skydns without domain") << "skydns2://127.0.0.1:2379/"
                                           << "DNS domain";
    QTest::newRow("unterminated v6") << "etcd://[::1:2379/x"
                                     << "unterminated";
    QTest::newRow("no path") << "etcd://127.0.0.1:2379"
                             << "key prefix is required";
    QTest::newRow("root path") << "etcd2://127.0.0.1:2379/"
                               << "key prefix is required";
    QTest::newRow("empty user") << "etcd://:pw@127.0.0.1/x"
                                << "empty user";
    QTest::newRow("password in a bad URI") << "etcd://agent:pw@127.0.0.1:2379/services?x"
                                           << "\"etcd://agent:***@127.0.0.1:2379/services?x\"";
    QTest::newRow("etcd2 with a user") << "etcd2://agent:pw@127.0.0.1:2379/services"
                                       << "etcd2:// takes no user name";
}

void tst_RegistryConfig::rejects()
{
    QFETCH(QString, uri);
    QFETCH(QString, errorContains);
    RegistryConfig c;
    QString error;
    QVERIFY(!RegistryConfig::parseUri(uri, &c, &error));
    QVERIFY2(error.contains(errorContains), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String(":pw@")), qPrintable(error)); // never the password
}

// etcd2:// has no v3 auth: the flags are refused, not dropped.
void tst_RegistryConfig::etcd2RefusesAuthFlags()
{
    RegistryConfig c;
    QString error;
    QVERIFY(
        RegistryConfig::parseUri(QStringLiteral("etcd2://127.0.0.1:2379/services"), &c, &error));
    QVERIFY(!c.applyEtcdAccess({{}, {}, {}, QStringLiteral("agent:pw"), {}}, &error));
    QVERIFY2(error.contains(QLatin1String("-etcd-user")), qPrintable(error));
    RegistryConfig v3;
    QVERIFY(
        RegistryConfig::parseUri(QStringLiteral("etcd://127.0.0.1:2379/services"), &v3, &error));
    QVERIFY2(v3.applyEtcdAccess({{}, {}, {}, QStringLiteral("agent:pw"), {}}, &error),
             qPrintable(error));
    QCOMPARE(v3.username, QStringLiteral("agent"));
}

QTEST_GUILESS_MAIN(tst_RegistryConfig)
#include "tst_registryconfig.moc"
