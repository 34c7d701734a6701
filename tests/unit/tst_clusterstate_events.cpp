// ClusterState with records built in place: event times, hosts coming back, lease expiry, the
// bounds on the event log and on gone hosts, the JSON shapes and status signals.

#include "ClusterStateTestSupport.h"

#include <QSignalSpy>
#include <QTest>

namespace {
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

class tst_ClusterStateEvents : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void snapshotEventsCarryRecordTimes();
    void hostComesBack();
    void leaseExpiryReadsLikeAResync();
    void eventLogIsBounded();
    void goneHostsAreBounded();
    void jsonShapes();
    void statusEmitsOnlyOnChange();
};

// What a snapshot finds already there happened when its record says, not when we listed: the
// dashboard's Events view and the Overview's "last event" then agree with the browser view.
void tst_ClusterStateEvents::snapshotEventsCarryRecordTimes()
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

void tst_ClusterStateEvents::hostComesBack()
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
void tst_ClusterStateEvents::leaseExpiryReadsLikeAResync()
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

void tst_ClusterStateEvents::eventLogIsBounded()
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

void tst_ClusterStateEvents::goneHostsAreBounded()
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

void tst_ClusterStateEvents::jsonShapes()
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

void tst_ClusterStateEvents::statusEmitsOnlyOnChange()
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

QTEST_GUILESS_MAIN(tst_ClusterStateEvents)
#include "tst_clusterstate_events.moc"
