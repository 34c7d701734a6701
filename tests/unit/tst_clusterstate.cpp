// ClusterState fed with watch streams recorded from a real etcd 3.4 (tests/data/cluster,
// re-recorded by capture.sh there), through the same reader the live source uses, and with
// records built in place.
#include "cluster/ClusterState.h"
#include "cluster/EtcdClusterSource.h"
#include "cluster/EtcdRecordReader.h"

#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

namespace {
QByteArray fixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/cluster/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    return f.readAll();
}

// A recorded range response: its key-values and header revision.
std::pair<QList<EtcdKeyValue>, qint64> snapshot(const QString &name)
{
    const QJsonObject o = QJsonDocument::fromJson(fixture(name)).object();
    return {EtcdClient::keyValues(o),
            EtcdClient::int64(o.value("header").toObject().value("revision"))};
}

QList<EtcdWatchMessage> messages(const QString &name)
{
    QList<EtcdWatchMessage> out;
    for (const QByteArray &line : fixture(name).split('\n')) {
        if (!line.trimmed().isEmpty())
            out.append(EtcdWatchMessage::parse(line));
    }
    return out;
}

void reset(EtcdRecordReader &etcd, const QString &name)
{
    const auto [kvs, revision] = snapshot(name);
    etcd.reset(kvs, revision);
}

qint64 replay(EtcdRecordReader &etcd, const QString &name, qint64 from)
{
    for (const EtcdWatchMessage &m : messages(name))
        from = etcd.apply(m, from);
    return from;
}

// "action host serviceId @revision", for compact comparisons.
QStringList describe(const QList<ClusterEvent> &events)
{
    QStringList out;
    for (const ClusterEvent &e : events)
        out << QStringLiteral("%1 %2 %3 @%4")
                   .arg(ClusterEvent::actionName(e.action), e.host,
                        e.serviceId.isEmpty() ? QStringLiteral("-") : e.serviceId)
                   .arg(e.revision);
    return out;
}

QStringList serviceIds(const QList<ServiceRecord> &services)
{
    QStringList out;
    for (const ServiceRecord &s : services)
        out << s.id;
    return out;
}

QByteArray svcKey(const QString &host, const QString &id)
{
    return Keyspace().serviceKey(host, id).toUtf8();
}

ServiceRecord service(const QString &host, const QString &name, int port)
{
    ServiceRecord s;
    s.id = host + ":" + name + ".1:" + QString::number(port);
    s.key = QString::fromUtf8(svcKey(host, s.id));
    s.name = name;
    s.host = host;
    s.ip = "10.0.0.5";
    s.port = port;
    return s;
}

HostRecord host(const QString &name, const QString &address = "10.0.0.9")
{
    HostRecord h;
    h.hostname = name;
    h.address = address;
    return h;
}
} // namespace

class tst_ClusterState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesWatchMessages_data();
    void parsesWatchMessages();
    void initialSnapshotAnnouncesEverything();
    void replaysRecordedWatch();
    void reconnectListingAddsNothing();
    void compactionReloadBecomesEvents();
    void malformedRecords_data();
    void malformedRecords();
    void garbageNeverCrashes();
    void snapshotEventsCarryRecordTimes();
    void hostComesBack();
    void leaseExpiryReadsLikeAResync();
    void eventLogIsBounded();
    void goneHostsAreBounded();
    void jsonShapes();
    void statusEmitsOnlyOnChange();
};

void tst_ClusterState::parsesWatchMessages_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("created");
    QTest::addColumn<bool>("canceled");
    QTest::addColumn<bool>("progress");
    QTest::addColumn<qint64>("header");
    QTest::addColumn<qint64>("compact");
    QTest::addColumn<int>("events");
    QTest::addColumn<QString>("error");

    const QList<QByteArray> w1 = fixture("watch-1.ndjson").split('\n');
    const QList<QByteArray> wc = fixture("watch-compacted.ndjson").split('\n');
    QTest::newRow("created") << w1.at(0) << true << false << false << 6LL << 0LL << 0 << "";
    QTest::newRow("put") << w1.at(1) << false << false << false << 7LL << 0LL << 1 << "";
    QTest::newRow("txn: two events")
        << w1.at(7) << false << false << false << 13LL << 0LL << 2 << "";
    QTest::newRow("lease expiry: two deletes")
        << w1.at(8) << false << false << false << 14LL << 0LL << 2 << "";
    QTest::newRow("progress notification")
        << w1.at(9) << false << false << true << 14LL << 0LL << 0 << "";
    QTest::newRow("compacted") << wc.at(1) << false << true << false << 0LL << 17LL << 0 << "";
    // Recorded from a two-member etcd that lost its peer (see RUNBOOK).
    QTest::newRow("no leader")
        << QByteArray(
               R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})")
        << false << false << false << 0LL << 0LL << 0 << "etcdserver: no leader";
}

void tst_ClusterState::parsesWatchMessages()
{
    QFETCH(QByteArray, line);
    QFETCH(bool, created);
    QFETCH(bool, canceled);
    QFETCH(bool, progress);
    QFETCH(qint64, header);
    QFETCH(qint64, compact);
    QFETCH(int, events);
    QFETCH(QString, error);
    const EtcdWatchMessage m = EtcdWatchMessage::parse(line);
    QVERIFY(m.valid);
    QCOMPARE(m.created, created);
    QCOMPARE(m.canceled, canceled);
    QCOMPARE(m.isProgress(), progress);
    QCOMPARE(m.headerRevision, header);
    QCOMPARE(m.compactRevision, compact);
    QCOMPARE(m.events.size(), events);
    QCOMPARE(m.error, error);
    QVERIFY(!EtcdWatchMessage::parse("{\"result\":").valid);
}

void tst_ClusterState::initialSnapshotAnnouncesEverything()
{
    ClusterState s;
    EtcdRecordReader etcd(&s);
    QSignalSpy reset(&s, &ClusterState::snapshotReset);
    QSignalSpy added(&s, &ClusterState::serviceAdded);
    ::reset(etcd, "snapshot-1.json");
    QCOMPARE(s.revision(), 6);
    QCOMPARE(reset.size(), 1);
    QCOMPARE(added.size(), 3);
    QCOMPARE(describe(s.events()),
             (QStringList{"host-up core-01 - @2", "added core-01 core-01:old.1:22 @5",
                          "added core-01 core-01:redis.1:6379 @3",
                          "added core-01 core-01:web.1:80 @4"}));
    QCOMPARE(s.hosts().size(), 1);
    const HostRecord h = s.hosts().first();
    QCOMPARE(h.hostname, "core-01");
    QCOMPARE(h.address, "10.0.0.5");
    QCOMPARE(h.startedAt, QDateTime(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC));
    QVERIFY(h.up);
    const ServiceRecord redis = s.servicesOnHost("core-01").at(1);
    QCOMPARE(redis.name, "redis");
    QCOMPARE(redis.address(), "10.0.0.5:49153");
    QCOMPARE(redis.registryKey, "/services/redis/core-01:redis.1:6379");
    QCOMPARE(redis.attributes.value("env"), "prod");
    QCOMPARE(redis.tags, QStringList{"db"});
}

void tst_ClusterState::replaysRecordedWatch()
{
    ClusterState s;
    EtcdRecordReader etcd(&s);
    reset(etcd, "snapshot-1.json");
    const int before = s.events().size();
    QSignalSpy hostSpy(&s, &ClusterState::hostChanged);
    QSignalSpy changed(&s, &ClusterState::serviceChanged);
    QSignalSpy removed(&s, &ClusterState::serviceRemoved);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("core-01:broken.1:1 is not a JSON"));
    const qint64 seen = replay(etcd, "watch-1.ndjson", s.revision());
    QCOMPARE(seen, 14);
    QCOMPARE(s.revision(), 14);
    QCOMPARE(
        describe(s.events().mid(before)),
        (QStringList{"host-up core-02 - @7", "added core-02 core-02:redis.2:6379 @8",
                     "changed core-01 core-01:web.1:80 @9", "removed core-01 core-01:old.1:22 @10",
                     "added core-01 core-01:db.1:5432 @13", "added core-01 core-01:db.2:5432 @13",
                     "removed core-02 core-02:redis.2:6379 @14", "host-gone core-02 - @14"}));
    QCOMPARE(hostSpy.size(), 2); // up, gone
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().first().value<ServiceRecord>().port, 49999);
    QCOMPARE(removed.size(), 2);

    const QList<HostRecord> hosts = s.hosts();
    QCOMPARE(hosts.size(), 2);
    QVERIFY(hosts.at(0).up);
    QCOMPARE(hosts.at(1).hostname, "core-02");
    QVERIFY(!hosts.at(1).up);
    QVERIFY(hosts.at(1).goneAt.isValid());
    QCOMPARE(serviceIds(s.services()), (QStringList{"core-01:db.1:5432", "core-01:db.2:5432",
                                                    "core-01:redis.1:6379", "core-01:web.1:80"}));
    const auto byName = s.servicesByName();
    QCOMPARE(byName.keys(), (QStringList{"db", "redis", "web"}));
    QCOMPARE(byName.value("db").size(), 2);
    QVERIFY(s.servicesOnHost("core-02").isEmpty());
}

// A reconnect lists again only when it must; when it does, a picture that was already right
// yields no events.
void tst_ClusterState::reconnectListingAddsNothing()
{
    ClusterState live;
    EtcdRecordReader liveEtcd(&live);
    reset(liveEtcd, "snapshot-1.json");
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("broken"));
    replay(liveEtcd, "watch-1.ndjson", live.revision());

    ClusterState listed;
    EtcdRecordReader listedEtcd(&listed);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("broken"));
    reset(listedEtcd, "snapshot-2.json");
    QCOMPARE(live.services(), listed.services());

    const int before = live.events().size();
    QSignalSpy reset(&live, &ClusterState::snapshotReset);
    ::reset(liveEtcd, "snapshot-2.json"); // warned once already for that key: no new warning
    QCOMPARE(live.events().size(), before);
    QCOMPARE(reset.size(), 1);
    QCOMPARE(live.hosts().size(), 2); // core-02 stays listed as gone
}

void tst_ClusterState::compactionReloadBecomesEvents()
{
    ClusterState s;
    EtcdRecordReader etcd(&s);
    reset(etcd, "snapshot-1.json");
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("broken"));
    const qint64 seen = replay(etcd, "watch-1.ndjson", s.revision());

    const QList<EtcdWatchMessage> resumed = messages("watch-compacted.ndjson");
    QCOMPARE(resumed.size(), 2);
    QVERIFY(resumed.at(0).created);
    QVERIFY(resumed.at(1).canceled);
    QVERIFY(resumed.at(1).compactRevision > seen);
    QCOMPARE(etcd.apply(resumed.at(1), seen), seen); // a canceled watch changes nothing

    const int before = s.events().size();
    QSignalSpy reset(&s, &ClusterState::snapshotReset);
    ::reset(etcd, "snapshot-3.json");
    QCOMPARE(reset.size(), 1);
    QCOMPARE(reset.first().first().toLongLong(), 17);
    QCOMPARE(describe(s.events().mid(before)),
             (QStringList{"removed core-01 core-01:redis.1:6379 @17", "host-up core-03 - @17",
                          "added core-01 core-01:cache.1:11211 @15"}));
    QCOMPARE(s.revision(), 17);
}

void tst_ClusterState::malformedRecords_data()
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

void tst_ClusterState::malformedRecords()
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

void tst_ClusterState::garbageNeverCrashes()
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

// What a snapshot finds already there happened when its record says, not when we listed: the
// dashboard's Events view and the Overview's "last event" then agree with the browser view.
void tst_ClusterState::snapshotEventsCarryRecordTimes()
{
    const QDateTime started(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC);
    const QDateTime registered(QDate(2026, 11, 27), QTime(5, 1, 2, 345), Qt::UTC);
    HostRecord h1 = host("h1");
    h1.startedAt = started;
    ServiceRecord redis = service("h1", "redis", 6379);
    redis.registeredAt = registered;
    const ServiceRecord unstamped = service("h1", "web", 80);
    ClusterState s;
    const QDateTime before = QDateTime::currentDateTimeUtc();
    s.resetToSnapshot({{{h1, 2}}, {{redis, 3}, {unstamped, 4}}, 4, {}});
    QCOMPARE(describe(s.events()), (QStringList{"host-up h1 - @2", "added h1 h1:redis.1:6379 @3",
                                                "added h1 h1:web.1:80 @4"}));
    QCOMPARE(s.events().at(0).time, started);
    QCOMPARE(s.events().at(1).time, registered);
    QVERIFY(s.events().at(2).time >= before); // no stamp of its own: when it was listed

    // Live changes are stamped when they are seen, whatever the record says.
    ServiceRecord db = service("h1", "db", 5432);
    db.registeredAt = registered;
    s.upsertService(db, 5);
    QVERIFY(s.events().last().time >= before);

    // The same through etcd, and from the recorded listing's own times.
    ClusterState listed;
    EtcdRecordReader etcd(&listed);
    reset(etcd, "snapshot-1.json");
    const ClusterEvent up = listed.events().first();
    QCOMPARE(up.action, ClusterEvent::Action::HostUp);
    QCOMPARE(up.time, listed.host("core-01").startedAt);
    const QList<ServiceRecord> services = listed.services();
    for (const ClusterEvent &e : listed.events().mid(1)) {
        const auto it = std::find_if(services.cbegin(), services.cend(),
                                     [&](const ServiceRecord &r) { return r.id == e.serviceId; });
        QVERIFY(it != services.cend() && it->registeredAt.isValid());
        QCOMPARE(e.time, it->registeredAt);
    }
}

void tst_ClusterState::hostComesBack()
{
    ClusterState s;
    s.upsertHost(host("h1"), 2);
    s.removeHost("h1", 3);
    QVERIFY(!s.host("h1").up);
    QVERIFY(s.host("h1").goneAt.isValid());
    QCOMPARE(s.host("h1").toJson().value("goneAt").isString(), true);
    s.upsertHost(host("h1"), 4);
    QVERIFY(s.host("h1").up);
    QVERIFY(s.host("h1").toJson().value("goneAt").isNull());
    QCOMPARE(describe(s.events()),
             (QStringList{"host-up h1 - @2", "host-gone h1 - @3", "host-up h1 - @4"}));
    QCOMPARE(s.events().at(1).address, "10.0.0.9");
    // An unchanged put of a host that is up is no news.
    QSignalSpy spy(&s, &ClusterState::hostChanged);
    s.upsertHost(host("h1"), 5);
    QCOMPARE(spy.size(), 0);
    s.upsertHost(host("h1", "10.0.0.10"), 6);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(s.events().size(), 3);
}

// etcd deletes a lease's keys in one revision in an order of its own; the live timeline must
// still list the services before the host, as a resync does.
void tst_ClusterState::leaseExpiryReadsLikeAResync()
{
    ClusterState s;
    EtcdRecordReader etcd(&s);
    etcd.put("/portolan/hosts/h1", host("h1").toEtcdValue(), 2);
    etcd.put(svcKey("h1", "h1:redis.1:6379"), service("h1", "redis", 6379).toEtcdValue(), 3);
    const QByteArray hostKey = EtcdClient::encode("/portolan/hosts/h1").toUtf8();
    const QByteArray svc = EtcdClient::encode(svcKey("h1", "h1:redis.1:6379")).toUtf8();
    const QByteArray line = R"({"result":{"header":{"revision":"4"},"events":[)"
                            R"({"type":"DELETE","kv":{"key":")" +
                            hostKey + R"(","mod_revision":"4"}},{"type":"DELETE","kv":{"key":")" +
                            svc + R"(","mod_revision":"4"}}]}})";
    const EtcdWatchMessage m = EtcdWatchMessage::parse(line);
    QVERIFY(m.valid);
    QCOMPARE(etcd.apply(m, 3), 4);
    QCOMPARE(describe(s.events()).mid(2),
             (QStringList{"removed h1 h1:redis.1:6379 @4", "host-gone h1 - @4"}));
}

void tst_ClusterState::eventLogIsBounded()
{
    ClusterState s;
    s.setEventLimit(5);
    for (int i = 1; i <= 20; ++i)
        s.upsertService(service("h1", "s", i), i);
    const QList<ClusterEvent> events = s.events();
    QCOMPARE(events.size(), 5);
    QCOMPARE(events.first().seq, 16u);
    QCOMPARE(events.last().seq, 20u);
    QCOMPARE(events.last().revision, 20);
    s.setEventLimit(2);
    QCOMPARE(s.events().size(), 2);
    QCOMPARE(s.services().size(), 20); // only the log is bounded
}

void tst_ClusterState::goneHostsAreBounded()
{
    ClusterState s;
    s.setGoneHostLimit(3);
    QSignalSpy removed(&s, &ClusterState::hostRemoved);
    for (int i = 0; i < 10; ++i)
        s.upsertHost(host("h" + QString::number(i)), i + 1);
    for (int i = 0; i < 10; ++i)
        s.removeHost("h" + QString::number(i), 20 + i);
    QCOMPARE(s.hosts().size(), 3);
    QCOMPARE(removed.size(), 7);
    QCOMPARE(removed.first().first().toString(), "h0");
    for (const HostRecord &h : s.hosts())
        QVERIFY(!h.up);
    QVERIFY(s.hasHost("h9"));
}

void tst_ClusterState::jsonShapes()
{
    ClusterState s;
    EtcdRecordReader etcd(&s);
    reset(etcd, "snapshot-1.json");
    const QJsonObject host = s.hosts().first().toJson();
    QCOMPARE(host.keys(), (QStringList{"address", "agentVersion", "dockerVersion", "feedUrl",
                                       "goneAt", "hostname", "startedAt", "up"}));
    QCOMPARE(host.value("startedAt").toString(), "2026-11-27T05:00:00.000Z");
    const QJsonObject svc = s.servicesOnHost("core-01").at(1).toJson();
    QCOMPARE(svc.keys(), (QStringList{"address", "attributes", "containerId", "containerName",
                                      "health", "host", "id", "image", "ip", "key", "name", "port",
                                      "protocol", "registeredAt", "registryKey", "tags"}));
    QCOMPARE(svc.value("key").toString(), "/portolan/services/core-01/core-01:redis.1:6379");
    QCOMPARE(svc.value("port").toInt(), 49153);
    QCOMPARE(svc.value("address").toString(), "10.0.0.5:49153");
    const QJsonObject ev = s.events().first().toJson();
    QCOMPARE(ev.keys(), (QStringList{"action", "address", "host", "revision", "seq", "service",
                                     "serviceId", "time"}));
    QCOMPARE(ev.value("action").toString(), "host-up");
    QVERIFY(ev.value("time").toString().endsWith('Z'));

    ServiceRecord v6;
    v6.ip = "fd00::5";
    v6.port = 80;
    QCOMPARE(v6.address(), "[fd00::5]:80");
}

void tst_ClusterState::statusEmitsOnlyOnChange()
{
    ClusterState s;
    QSignalSpy status(&s, &ClusterState::statusChanged);
    QSignalSpy error(&s, &ClusterState::errorStringChanged);
    s.setStatus(ClusterState::Status::Connecting);
    s.setStatus(ClusterState::Status::Connecting);
    s.setStatus(ClusterState::Status::Connecting, "etcd at 127.0.0.1:2379 refused the connection");
    s.setStatus(ClusterState::Status::Ready);
    QCOMPARE(status.size(), 2);
    QCOMPARE(error.size(), 2);
}

QTEST_GUILESS_MAIN(tst_ClusterState)
#include "tst_clusterstate.moc"
