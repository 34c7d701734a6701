// ClusterState fed malformed records and garbage through the etcd record reader: each record
// refused on its own, and nothing crashes.

#include "ClusterStateTestSupport.h"

#include <QTest>

class tst_ClusterStateMalformed : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void malformedRecords_data();
    void malformedRecords();
    void garbageNeverCrashes();
};

void tst_ClusterStateMalformed::malformedRecords_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("hosts");
    QTest::addColumn<int>("services");
    QTest::addColumn<QString>("expect"); // host name or "id name port" of what is kept
    QTest::addColumn<QString>("warning");

    QTest::newRow("host: not JSON")
        << QByteArray("/portolan/hosts/h1") << QByteArray("{oops") << 1 << 0 << "h1"
        << "host record /portolan/hosts/h1";
    QTest::newRow("host: JSON array")
        << QByteArray("/portolan/hosts/h1") << QByteArray("[1]") << 1 << 0 << "h1"
        << "host record";
    QTest::newRow("host: wrong hostname") << QByteArray("/portolan/hosts/h1")
                                          << QByteArray(R"({"hostname":"other"})") << 1 << 0 << "h1"
                                          << "";
    QTest::newRow("service: not JSON")
        << svcKey("h1", "h1:a.1:80") << QByteArray("nope") << 0 << 0 << ""
        << "not a JSON";
    QTest::newRow("service: wrong types")
        << svcKey("h1", "h1:a.1:80")
        << QByteArray(R"({"id":7,"name":"a","port":"80x","tags":"db","attributes":[1]})") << 0 << 1
        << "h1:a.1:80 a 0"
        << "";
    QTest::newRow("service: port as string")
        << svcKey("h1", "h1:a.1:80") << QByteArray(R"({"name":"a","port":"8080"})") << 0 << 1
        << "h1:a.1:80 a 8080"
        << "";
    QTest::newRow("service: no name") << svcKey("h1", "h1:a.1:80") << QByteArray(R"({"port":80})")
                                      << 0 << 1 << "h1:a.1:80 h1:a.1:80 80"
                                      << "has no name";
    QTest::newRow("service key without id")
        << QByteArray("/portolan/services/h1") << QByteArray("{}") << 0 << 0 << ""
        << "";
    QTest::newRow("outside the prefix")
        << QByteArray("/other/hosts/h1") << QByteArray("{}") << 0 << 0 << ""
        << "";
}

void tst_ClusterStateMalformed::malformedRecords()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, value);
    QFETCH(int, hosts);
    QFETCH(int, services);
    QFETCH(QString, expect);
    QFETCH(QString, warning);
    ClusterState s;
    EtcdRecordReader etcd(&s);
    if (!warning.isEmpty())
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QRegularExpression::escape(warning)));
    etcd.put(key, value, 5);
    etcd.put(key, value, 6); // the same fault again: warned once only
    QCOMPARE(s.hosts().size(), hosts);
    QCOMPARE(s.services().size(), services);
    QCOMPARE(s.revision(), 6);
    if (hosts)
        QCOMPARE(s.hosts().first().hostname, expect);
    if (services) {
        const ServiceRecord r = s.services().first();
        QCOMPARE(QStringLiteral("%1 %2 %3").arg(r.id, r.name).arg(r.port), expect);
        QCOMPARE(r.host, "h1");
    }
}

void tst_ClusterStateMalformed::garbageNeverCrashes()
{
    ClusterState s;
    EtcdRecordReader etcd(&s);
    QtMessageHandler old =
        qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &) {});
    for (int i = 0; i < 2000; ++i) {
        QByteArray junk;
        for (int n = 0; n < i % 64; ++n)
            junk.append(char((i * 131 + n * 17) % 256));
        etcd.put(svcKey("h" + QString::number(i % 7), junk.toHex().left(8)), junk, i + 1);
        etcd.put("/portolan/hosts/h" + QByteArray::number(i % 5), junk, i + 1);
        if (i % 3 == 0)
            etcd.remove("/portolan/hosts/h" + QByteArray::number(i % 5), i + 1);
    }
    qInstallMessageHandler(old);
    QCOMPARE(s.revision(), 2000);
}

QTEST_GUILESS_MAIN(tst_ClusterStateMalformed)
#include "tst_clusterstate_malformed.moc"
