// ClusterState fed with watch streams recorded from a real etcd 3.4 (tests/data/cluster), through
// the same reader the live source uses: the first snapshot, a replayed watch, a reconnect listing
// and a reload after compaction.

#include "ClusterStateTestSupport.h"

#include <QSignalSpy>
#include <QTest>

namespace {
QList<EtcdWatchMessage> messages(const QString &name)
{
    QList<EtcdWatchMessage> out;
    for (const QByteArray &line : fixture(name).split('\n')) {
        if (!line.trimmed().isEmpty())
            out.append(EtcdWatchMessage::parse(line));
    }
    return out;
}

qint64 replay(EtcdRecordReader &etcd, const QString &name, qint64 from)
{
    for (const EtcdWatchMessage &m : messages(name))
        from = etcd.apply(m, from);
    return from;
}

QStringList serviceIds(const QList<ServiceRecord> &services)
{
    QStringList out;
    for (const ServiceRecord &s : services)
        out << s.id;
    return out;
}

} // namespace

class tst_ClusterStateRecorded : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesWatchMessages_data();
    void parsesWatchMessages();
    void initialSnapshotAnnouncesEverything();
    void replaysRecordedWatch();
    void reconnectListingAddsNothing();
    void compactionReloadBecomesEvents();
};

void tst_ClusterStateRecorded::parsesWatchMessages_data()
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

void tst_ClusterStateRecorded::parsesWatchMessages()
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

void tst_ClusterStateRecorded::initialSnapshotAnnouncesEverything()
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

void tst_ClusterStateRecorded::replaysRecordedWatch()
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
void tst_ClusterStateRecorded::reconnectListingAddsNothing()
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

void tst_ClusterStateRecorded::compactionReloadBecomesEvents()
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

QTEST_GUILESS_MAIN(tst_ClusterStateRecorded)
#include "tst_clusterstate_recorded.moc"
