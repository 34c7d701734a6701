// The records codec and the keyspace: every member of a record survives etcd and the feed, is
// named in both, and counts for equality; the etcd bytes are what QJsonDocument would write.
#include "records/Keyspace.h"
#include "records/Records.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

namespace {
// Every member set, each to a value of its own that is not its default. A member added to a
// record belongs here too; fieldListCoversTheStruct and everyFieldIsSet say when it is missing.
HostRecord everyHostField()
{
    HostRecord h;
    h.hostname = "core-01";
    h.address = "10.0.0.5";
    h.agentVersion = "0.1.0";
    h.dockerVersion = "20.10.24";
    h.feedUrl = "http://10.0.0.5:8080/";
    h.startedAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0, 0, 123), Qt::UTC);
    h.up = false;
    h.goneAt = QDateTime(QDate(2026, 11, 28), QTime(6, 30), Qt::UTC);
    return h;
}

ServiceRecord everyServiceField()
{
    ServiceRecord s;
    s.key = "/portolan/services/core-01/core-01:redis.1:6379";
    s.id = "core-01:redis.1:6379";
    s.name = "redis";
    s.host = "core-01";
    s.ip = "fd00::5";
    s.port = 49153;
    s.protocol = "udp";
    s.tags = QStringList{"db", "primary"};
    s.attributes = {{"env", "prod"}, {"zone", "b"}};
    s.containerId = "8f1c0000";
    s.containerName = "redis.1";
    s.image = "example/redis:latest";
    s.registryKey = "/services/redis/core-01:redis.1:6379";
    s.registeredAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0, 1, 456), Qt::UTC);
    s.health = "starting";
    return s;
}

BalancerRecord everyBalancerField()
{
    BalancerRecord b;
    b.name = "edge-1";
    b.host = "core-02";
    b.driver = "haproxy";
    b.driverVersion = "2.6.12";
    b.version = "0.1.0";
    b.startedAt = QDateTime(QDate(2026, 12, 1), QTime(8, 0, 0, 1), Qt::UTC);
    b.lastApplyAt = QDateTime(QDate(2026, 12, 1), QTime(8, 0, 2, 2), Qt::UTC);
    b.lastApplyMethod = "runtime";
    b.lastError = "haproxy -c refused the new configuration";
    b.lastErrorAt = QDateTime(QDate(2026, 12, 1), QTime(8, 0, 1, 3), Qt::UTC);
    b.routes = {BalancerRoute{"redis", "portolan_redis", 3, 2},
                BalancerRoute{"web", "portolan_web", 1, 0}};
    b.up = false;
    return b;
}

// The record with only the etcd members of `full` (the others are not stored there).
template <typename Record> Record etcdPart(const Record &full)
{
    Record out;
    Record::forEachField([&](const RecordField &f, auto member) {
        if (f.etcd)
            out.*member = full.*member;
    });
    return out;
}

template <typename Record> QStringList names(bool etcd)
{
    QStringList out;
    Record::forEachField([&](const RecordField &f, auto) {
        if (const char *name = etcd ? f.etcd : f.feed)
            out << QString::fromLatin1(name);
    });
    return out;
}

template <typename Record> void checkEveryFieldCounts(const Record &full)
{
    const Record blank;
    int fields = 0;
    Record::forEachField([&](const RecordField &f, auto member) {
        ++fields;
        const QString name = QString::fromLatin1(f.feed ? f.feed : f.etcd);
        QVERIFY2(full.*member != blank.*member, qPrintable(name + " is not set in the fixture"));
        Record one = blank;
        one.*member = full.*member;
        QVERIFY2(!(one == blank), qPrintable(name + " does not count for operator=="));
    });
    QVERIFY(fields > 0);
}

// The members the list names take up the whole struct, give or take padding: a member missing
// from forEachField (at least a pointer's size: any Qt value) makes the gap too large.
template <typename Record> void checkListCoversStruct()
{
    const Record r;
    size_t listed = 0;
    Record::forEachField([&](const RecordField &, auto member) { listed += sizeof(r.*member); });
    QVERIFY2(
        sizeof(Record) - listed < sizeof(void *),
        qPrintable(QStringLiteral("%1 bytes not in forEachField").arg(sizeof(Record) - listed)));
}
} // namespace

class tst_Records : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fieldListCoversTheStruct();
    void everyFieldIsSetAndCompared();
    void etcdRoundTrip();
    void feedRoundTrip();
    void everyNameIsWritten();
    void etcdBytesAreWhatQJsonDocumentWrites_data();
    void etcdBytesAreWhatQJsonDocumentWrites();
    void hostLeavesOutWhatItDoesNotKnowYet();
    void decodingIsLenient();
    void keyspace_data();
    void keyspace();
};

void tst_Records::fieldListCoversTheStruct()
{
    checkListCoversStruct<HostRecord>();
    checkListCoversStruct<ServiceRecord>();
    checkListCoversStruct<BalancerRecord>();
    checkListCoversStruct<BalancerRoute>();
}

void tst_Records::everyFieldIsSetAndCompared()
{
    checkEveryFieldCounts(everyHostField());
    checkEveryFieldCounts(everyServiceField());
    checkEveryFieldCounts(everyBalancerField());
    checkEveryFieldCounts(BalancerRoute{"s", "b", 1, 1});
}

void tst_Records::etcdRoundTrip()
{
    const HostRecord h = everyHostField();
    QCOMPARE(HostRecord::fromEtcdValue(h.toEtcdValue()).value(), etcdPart(h));
    const ServiceRecord s = everyServiceField();
    QCOMPARE(ServiceRecord::fromEtcdValue(s.toEtcdValue()).value(), etcdPart(s));
    const BalancerRecord b = everyBalancerField();
    QCOMPARE(BalancerRecord::fromEtcdValue(b.toEtcdValue()).value(), etcdPart(b));
    QVERIFY(!BalancerRecord::fromEtcdValue("\"x\""));
    QVERIFY(!ServiceRecord::fromEtcdValue("[1]"));
    QVERIFY(!HostRecord::fromEtcdValue("{oops"));
}

void tst_Records::feedRoundTrip()
{
    const HostRecord h = everyHostField();
    QCOMPARE(HostRecord::fromJson(h.toJson()), h);
    const ServiceRecord s = everyServiceField();
    QCOMPARE(ServiceRecord::fromJson(s.toJson()), s);
    QCOMPARE(s.toJson().value("address").toString(), "[fd00::5]:49153");
    QCOMPARE(s.toJson().value("key").toString(), s.key);
    QCOMPARE(s.toJson().value("registryKey").toString(), s.registryKey);
    const BalancerRecord b = everyBalancerField();
    QCOMPARE(BalancerRecord::fromJson(b.toJson()), b);
}

void tst_Records::everyNameIsWritten()
{
    const QJsonObject hostEtcd = QJsonDocument::fromJson(everyHostField().toEtcdValue()).object();
    QCOMPARE(hostEtcd.keys(), names<HostRecord>(true));
    const QJsonObject svcEtcd = QJsonDocument::fromJson(everyServiceField().toEtcdValue()).object();
    QCOMPARE(svcEtcd.keys(), names<ServiceRecord>(true));
    QCOMPARE(svcEtcd.value("key").toString(), everyServiceField().registryKey);

    QStringList hostFeed = names<HostRecord>(false);
    hostFeed.sort();
    QCOMPARE(everyHostField().toJson().keys(), hostFeed);
    QStringList svcFeed = names<ServiceRecord>(false) << "address";
    svcFeed.sort();
    QCOMPARE(everyServiceField().toJson().keys(), svcFeed);

    const QJsonObject lbEtcd = QJsonDocument::fromJson(everyBalancerField().toEtcdValue()).object();
    QCOMPARE(lbEtcd.keys(), names<BalancerRecord>(true));
    QCOMPARE(lbEtcd.value("routes").toArray().first().toObject().keys(),
             names<BalancerRoute>(true));
    QStringList lbFeed = names<BalancerRecord>(false);
    lbFeed.sort();
    QCOMPARE(everyBalancerField().toJson().keys(), lbFeed);
}

void tst_Records::etcdBytesAreWhatQJsonDocumentWrites_data()
{
    QTest::addColumn<ServiceRecord>("service");
    QTest::newRow("every field") << everyServiceField();
    QTest::newRow("empty") << ServiceRecord();
    ServiceRecord odd = everyServiceField();
    odd.name = "quote\"back\\slash/solidus";
    odd.containerName = "ctl\b\f\n\r\t\x01\x1f\x7f end";
    odd.image = QStringLiteral("r\u00e9gistre/\u6e2f:\U0001F6A2");
    odd.tags = QStringList{"a", QString(), "t\"ag\\"};
    odd.attributes = {{"zeta", "1"},
                      {"alpha", "x\ny"},
                      {"Mixed", QString()},
                      {QStringLiteral("\u00fcber"), QStringLiteral("\u00fc")}};
    odd.port = 0;
    QTest::newRow("escapes, non-ASCII, empty values, attribute order") << odd;
}

// The direct writer must stay byte for byte what QJsonDocument writes (sorted members, its
// escapes): the bytes are in etcd, and tst_etcdv3registry_records checks them against the old
// writer.
void tst_Records::etcdBytesAreWhatQJsonDocumentWrites()
{
    QFETCH(ServiceRecord, service);
    const QByteArray written = service.toEtcdValue();
    QJsonParseError error{};
    const QJsonDocument parsed = QJsonDocument::fromJson(written, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(written, parsed.toJson(QJsonDocument::Compact));
    const QByteArray host = everyHostField().toEtcdValue();
    QCOMPARE(host, QJsonDocument::fromJson(host).toJson(QJsonDocument::Compact));
    const QByteArray lb = everyBalancerField().toEtcdValue();
    QCOMPARE(lb, QJsonDocument::fromJson(lb).toJson(QJsonDocument::Compact));
}

void tst_Records::hostLeavesOutWhatItDoesNotKnowYet()
{
    HostRecord h;
    h.hostname = "core-01";
    h.agentVersion = "0.1.0";
    h.startedAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC);
    // What the agent wrote before Docker answered and without -feed.
    QCOMPARE(h.toEtcdValue(), QByteArray(R"({"agentVersion":"0.1.0","hostname":"core-01",)"
                                         R"("startedAt":"2026-11-27T05:00:00.000Z"})"));
}

void tst_Records::decodingIsLenient()
{
    const ServiceRecord s =
        ServiceRecord::fromEtcdValue(
            R"({"id":7,"name":"a","port":"8080","tags":["x",1],"attributes":{"n":1,"s":"t"},)"
            R"("registeredAt":"2026-11-27T05:00:01Z","unknown":true})")
            .value();
    QCOMPARE(s.id, QString());
    QCOMPARE(s.port, 8080);
    QCOMPARE(s.tags, QStringList{"x"});
    QCOMPARE(s.attributes.value("n"), "1");
    QCOMPARE(s.registeredAt, QDateTime(QDate(2026, 11, 27), QTime(5, 0, 1), Qt::UTC));
    QCOMPARE(ServiceRecord::fromEtcdValue(R"({"port":70000})")->port, 0);
    QVERIFY(HostRecord::fromJson({{"hostname", "h"}}).up); // absent: up
    // An older agent's record has no health: it takes traffic like one without a healthcheck.
    QVERIFY(ServiceRecord::fromEtcdValue(R"({"name":"a"})")->takesTraffic());
    ServiceRecord h;
    for (const char *state : {"none", "healthy"}) {
        h.health = state;
        QVERIFY2(h.takesTraffic(), state);
    }
    for (const char *state : {"starting", "unhealthy", "bogus"}) {
        h.health = state;
        QVERIFY2(!h.takesTraffic(), state);
    }
    const BalancerRecord b = BalancerRecord::fromEtcdValue(
                                 R"({"name":"x","routes":[{"service":"a","servers":"2"},7,"s"]})")
                                 .value();
    QCOMPARE(b.routes.size(), 1);
    QCOMPARE(b.routes.first().servers, 2);
}

void tst_Records::keyspace_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("key");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("id");
    using K = Keyspace::Key::Kind;
    QTest::newRow("host") << "/portolan"
                          << "/portolan/hosts/core-01" << int(K::Host) << "core-01"
                          << "";
    QTest::newRow("service") << "/portolan/"
                             << "/portolan/services/core-01/core-01:a:1" << int(K::Service)
                             << "core-01"
                             << "core-01:a:1";
    QTest::newRow("id with a slash") << "/p"
                                     << "/p/services/h/a/b" << int(K::Service) << "h"
                                     << "a/b";
    QTest::newRow("no hostname") << "/portolan"
                                 << "/portolan/hosts/" << int(K::Other) << ""
                                 << "";
    QTest::newRow("host with a slash") << "/portolan"
                                       << "/portolan/hosts/a/b" << int(K::Other) << ""
                                       << "";
    QTest::newRow("service without id") << "/portolan"
                                        << "/portolan/services/h/" << int(K::Other) << ""
                                        << "";
    QTest::newRow("services of a host") << "/portolan"
                                        << "/portolan/services/h" << int(K::Other) << ""
                                        << "";
    QTest::newRow("balancer") << "/portolan"
                              << "/portolan/balancers/edge-1" << int(K::Balancer) << ""
                              << "edge-1";
    QTest::newRow("balancer with a slash") << "/portolan"
                                           << "/portolan/balancers/a/b" << int(K::Other) << ""
                                           << "";
    QTest::newRow("another prefix") << "/portolan"
                                    << "/portolan2/hosts/h" << int(K::Other) << ""
                                    << "";
}

void tst_Records::keyspace()
{
    QFETCH(QString, prefix);
    QFETCH(QString, key);
    QFETCH(int, kind);
    QFETCH(QString, host);
    QFETCH(QString, id);
    const Keyspace keys(prefix);
    const Keyspace::Key parsed = keys.parse(key);
    QCOMPARE(int(parsed.kind), kind);
    QCOMPARE(parsed.host, host);
    QCOMPARE(parsed.id, id);
    if (parsed.kind == Keyspace::Key::Kind::Host)
        QCOMPARE(keys.hostKey(host), key);
    if (parsed.kind == Keyspace::Key::Kind::Service)
        QCOMPARE(keys.serviceKey(host, id), key);
    if (parsed.kind == Keyspace::Key::Kind::Balancer)
        QCOMPARE(keys.balancerKey(id), key);
    QCOMPARE(Keyspace().prefix(), "/portolan");
    QCOMPARE(Keyspace("/x//").root(), "/x/");
    QCOMPARE(Keyspace().servicesOfHost("h"), "/portolan/services/h/");
}

QTEST_GUILESS_MAIN(tst_Records)
#include "tst_records.moc"
