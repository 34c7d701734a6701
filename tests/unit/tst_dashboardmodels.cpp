// The dashboard's models against a real etcd the test fills with agent-shaped records: hosts,
// the service table and its proxy, groups, the event log, the key tree and the update batching.
#include "EtcdTestServer.h"
#include "dashboard/ClusterConnection.h"
#include "dashboard/EventLogModel.h"
#include "dashboard/HostListModel.h"
#include "dashboard/KeyTreeModel.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"
#include "dashboard/UpdateBatcher.h"
#include "feedclient/FeedClusterClient.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <random>

namespace {
// Agents that started and registered just before the test: snapshot events carry these times.
QDateTime recently()
{
    static const QDateTime t = QDateTime::currentDateTimeUtc().addSecs(-30);
    return t;
}

HostRecord hostRecord(const QString &name, const QString &address)
{
    HostRecord h;
    h.hostname = name;
    h.address = address;
    h.agentVersion = "0.1.0";
    h.dockerVersion = "20.10.24";
    h.startedAt = recently();
    return h;
}

QByteArray hostValue(const QString &name, const QString &address)
{
    return hostRecord(name, address).toEtcdValue();
}

QByteArray serviceKey(const QString &host, const QString &container)
{
    return QStringLiteral("/portolan/services/%1/%1:%2:6379").arg(host, container).toUtf8();
}

ServiceRecord serviceRecord(const QString &host, const QString &name, const QString &container,
                            int port)
{
    ServiceRecord s;
    s.key = QString::fromUtf8(serviceKey(host, container));
    s.id = QStringLiteral("%1:%2:%3").arg(host, container).arg(6379);
    s.name = name;
    s.host = host;
    s.ip = "10.0.0.5";
    s.port = port;
    s.protocol = "tcp";
    s.tags = QStringList{"db"};
    s.containerId = "8f1c0000000000000000";
    s.containerName = container;
    s.image = "example/" + name + ":latest";
    s.registryKey = "/services/" + name + "/" + s.id;
    s.registeredAt = recently().addSecs(1);
    return s;
}

QByteArray serviceValue(const QString &host, const QString &name, const QString &container,
                        int port)
{
    return serviceRecord(host, name, container, port).toEtcdValue();
}
} // namespace

class tst_DashboardModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void hostsFromEtcd();
    void serviceTableInsertsAndRemovesRows();
    void filterAndSort_data();
    void filterAndSort();
    void groupsSummarise();
    void burstIsCoalesced();
    void modelsStayConsistentUnderChurn();
    void eventLogPauseResumeClear();
    void eventTimeSaysTheDayWhenNotToday();
    void eventLogFilters();
    void keyTreeListsLazilyAndReadsValues();
    void keyTreePages();
    void statusSaysWhyWhenEtcdIsGone();
    void feedFramesFeedTheState();

private:
    void put(const QByteArray &key, const QByteArray &value)
    {
        bool done = false;
        m_client->put(key, value, 0, this, [&](const EtcdResponse &r) {
            QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
            done = true;
        });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    }
    void del(const QByteArray &key)
    {
        bool done = false;
        m_client->deleteRange(key, {}, this, [&](const EtcdResponse &) { done = true; });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    }

    EtcdTestServer m_etcd;
    std::unique_ptr<EtcdClient> m_client;
    std::unique_ptr<ClusterConnection> m_connection;
};

void tst_DashboardModels::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.lastError()));
    m_client = std::make_unique<EtcdClient>(
        EtcdClientOptions{{m_etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
    put("/portolan/hosts/core-01", hostValue("core-01", "10.0.0.5"));
    put("/portolan/hosts/core-02", hostValue("core-02", "10.0.0.6"));
    put(serviceKey("core-01", "redis.1"), serviceValue("core-01", "redis", "redis.1", 49153));
    put(serviceKey("core-02", "redis.2"), serviceValue("core-02", "redis", "redis.2", 49160));
    put(serviceKey("core-02", "pg.1"), serviceValue("core-02", "postgres", "pg.1", 49170));
    m_connection = std::make_unique<ClusterConnection>();
    m_connection->connectToEtcd(EtcdClientOptions{{m_etcd.endpoint()}, 5000, {}, {}, {}, {}, {}});
    QTRY_COMPARE_WITH_TIMEOUT(m_connection->statusName(), QStringLiteral("ready"), 10000);
}

void tst_DashboardModels::hostsFromEtcd()
{
    HostListModel hosts;
    QAbstractItemModelTester tester(&hosts);
    hosts.setCluster(m_connection->state());
    QCOMPARE(hosts.rowCount(), 2);
    QCOMPARE(hosts.status(), ClusterState::Status::Ready);
    QCOMPARE(hosts.index(0).data(HostListModel::HostnameRole).toString(), "core-01");
    QCOMPARE(hosts.index(0).data(HostListModel::ServiceCountRole).toInt(), 1);
    QCOMPARE(hosts.index(1).data(HostListModel::ServiceCountRole).toInt(), 2);
    QCOMPARE(hosts.index(1).data(HostListModel::AddressRole).toString(), "10.0.0.6");
    QVERIFY(hosts.index(1).data(HostListModel::UpRole).toBool());
    QCOMPARE(hosts.roleNames().value(HostListModel::HostnameRole), "hostname");
    QCOMPARE(int(HostListModel::HostnameRole), Qt::UserRole + 1);

    // A host whose record goes stays listed as gone; its row changes, none is reset.
    QSignalSpy resets(&hosts, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&hosts, &QAbstractItemModel::dataChanged);
    del("/portolan/hosts/core-02");
    QTRY_VERIFY(!hosts.index(1).data(HostListModel::UpRole).toBool());
    QCOMPARE(hosts.goneCount(), 1);
    QVERIFY(changed.count() >= 1);
    put("/portolan/hosts/core-02", hostValue("core-02", "10.0.0.6"));
    QTRY_VERIFY(hosts.index(1).data(HostListModel::UpRole).toBool());
    QCOMPARE(hosts.index(1).data(HostListModel::LastEventRole).toString(), "host-up");
    QCOMPARE(resets.count(), 0);
}

void tst_DashboardModels::serviceTableInsertsAndRemovesRows()
{
    ServiceTableModel all;
    QAbstractItemModelTester tester(&all);
    all.setCluster(m_connection->state());
    ServiceTableModel onHost;
    onHost.setCluster(m_connection->state());
    onHost.setHost("core-02");
    QCOMPARE(all.rowCount(), 3);
    QCOMPARE(onHost.rowCount(), 2);
    QCOMPARE(onHost.index(0).data(ServiceTableModel::NameRole).toString(), "postgres");
    QCOMPARE(onHost.index(0).data(ServiceTableModel::AddressRole).toString(), "10.0.0.5:49170");
    QCOMPARE(onHost.index(0).data(ServiceTableModel::ContainerIdRole).toString().size(), 12);

    QSignalSpy resets(&all, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&all, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&all, &QAbstractItemModel::rowsRemoved);
    put(serviceKey("core-01", "web.1"), serviceValue("core-01", "web", "web.1", 49180));
    QTRY_COMPARE(all.rowCount(), 4);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 1); // core-01's second row, in host/id order
    QCOMPARE(onHost.rowCount(), 2);            // another host's service
    del(serviceKey("core-01", "web.1"));
    QTRY_COMPARE(all.rowCount(), 3);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(resets.count(), 0);
}

void tst_DashboardModels::filterAndSort_data()
{
    QTest::addColumn<QString>("filter");
    QTest::addColumn<QString>("sortRole");
    QTest::addColumn<bool>("ascending");
    QTest::addColumn<QStringList>("containers");
    QTest::newRow("all by name") << ""
                                 << "name" << true << QStringList{"pg.1", "redis.1", "redis.2"};
    QTest::newRow("redis by port desc") << "redis"
                                        << "port" << false << QStringList{"redis.2", "redis.1"};
    QTest::newRow("host filter") << "core-02"
                                 << "containerName" << true << QStringList{"pg.1", "redis.2"};
    QTest::newRow("image filter") << "example/postgres"
                                  << "name" << true << QStringList{"pg.1"};
    QTest::newRow("no match") << "nothing-like-this"
                              << "name" << true << QStringList{};
}

void tst_DashboardModels::filterAndSort()
{
    QFETCH(QString, filter);
    QFETCH(QString, sortRole);
    QFETCH(bool, ascending);
    QFETCH(QStringList, containers);
    ServiceTableModel table;
    table.setCluster(m_connection->state());
    ServiceFilterModel proxy;
    proxy.setSource(&table);
    proxy.setFilterText(filter);
    proxy.setSortRoleName(sortRole);
    proxy.setAscending(ascending);
    QStringList got;
    for (int i = 0; i < proxy.rowCount(); ++i)
        got << proxy.get(i, "containerName").toString();
    QCOMPARE(got, containers);
    QCOMPARE(proxy.count(), containers.size());
}

void tst_DashboardModels::groupsSummarise()
{
    ServiceGroupModel groups;
    QAbstractItemModelTester tester(&groups);
    groups.setCluster(m_connection->state());
    QCOMPARE(groups.rowCount(), 2);
    QCOMPARE(groups.index(1).data(ServiceGroupModel::SummaryRole).toString(),
             "redis: 2 instances on core-01, core-02");
    QCOMPARE(groups.index(0).data(ServiceGroupModel::SummaryRole).toString(),
             "postgres: 1 instance on core-02");

    QSignalSpy resets(&groups, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&groups, &QAbstractItemModel::dataChanged);
    put(serviceKey("core-02", "redis.3"), serviceValue("core-02", "redis", "redis.3", 49161));
    QTRY_COMPARE(groups.index(1).data(ServiceGroupModel::InstanceCountRole).toInt(), 3);
    QCOMPARE(groups.index(1).data(ServiceGroupModel::SummaryRole).toString(),
             "redis: 3 instances on core-01, core-02");
    QCOMPARE(changed.count(), 1);
    del(serviceKey("core-02", "redis.3"));
    QTRY_COMPARE(groups.index(1).data(ServiceGroupModel::InstanceCountRole).toInt(), 2);
    QCOMPARE(resets.count(), 0);
}

void tst_DashboardModels::burstIsCoalesced()
{
    ServiceTableModel table;
    table.setCluster(m_connection->state());
    EventLogModel events;
    events.setCluster(m_connection->state());
    QSignalSpy inserted(&table, &QAbstractItemModel::rowsInserted);
    QSignalSpy resets(&table, &QAbstractItemModel::modelReset);
    const int before = table.rowCount();
    const int flushesBefore = table.batcher()->flushCount();

    // 100 services in one transaction: one watch message, a burst of 100 signals.
    QJsonArray ops;
    for (int i = 0; i < 100; ++i) {
        const QString c = QStringLiteral("burst.%1").arg(i, 3, 10, QLatin1Char('0'));
        ops.append(EtcdClient::putOp(serviceKey("core-01", c),
                                     serviceValue("core-01", "burst", c, 50000 + i)));
    }
    bool done = false;
    m_client->txn(QJsonObject{{"success", ops}}, this, [&](const EtcdResponse &r) {
        QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
        done = true;
    });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    QTRY_COMPARE(table.rowCount(), before + 100);
    QVERIFY2(table.batcher()->flushCount() - flushesBefore <= 3,
             qPrintable(QString::number(table.batcher()->flushCount() - flushesBefore)));
    QVERIFY2(inserted.count() <= 3, qPrintable(QString::number(inserted.count())));
    QCOMPARE(resets.count(), 0);
    QTRY_COMPARE(events.count(), events.totalCount());

    QJsonArray deletes;
    deletes.append(EtcdClient::deleteOp(
        "/portolan/services/core-01/core-01:burst.",
        EtcdClient::prefixRangeEnd("/portolan/services/core-01/core-01:burst.")));
    done = false;
    m_client->txn(QJsonObject{{"success", deletes}}, this,
                  [&](const EtcdResponse &) { done = true; });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
    QTRY_COMPARE(table.rowCount(), before);
    QCOMPARE(resets.count(), 0);
}

// Many random adds, updates (also moving a key's service to another host or id), removals and
// re-adds, applied in batches to a ClusterState with every list model and the table's sort/filter
// proxy attached to a QAbstractItemModelTester (it fails on any row signal inconsistent with the
// data); after each batch the rows must equal ClusterState's.
void tst_DashboardModels::modelsStayConsistentUnderChurn()
{
    ClusterState state;
    ServiceTableModel all, onHost, hidden; // `hidden` is held (not active) every other 5 rounds
    onHost.setHost("h-2");
    ServiceFilterModel proxy, hostProxy;
    HostListModel hosts;
    ServiceGroupModel groups;
    EventLogModel events;
    QAbstractItemModelTester t1(&all, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(&onHost, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t3(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t4(&hostProxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t5(&hosts, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t6(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t7(&events, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t8(&hidden, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setSource(&all);
    proxy.setSortRoleName("port");
    hostProxy.setSource(&onHost);
    hostProxy.setFilterText("svc-1");
    const QList<ClusterListModel *> models{&all, &onHost, &hosts, &groups, &events, &hidden};
    for (ClusterListModel *m : models)
        m->setCluster(&state);

    std::mt19937 rng(4711);
    qint64 revision = 1;
    for (int h = 0; h < 4; ++h) {
        const QString host = QStringLiteral("h-%1").arg(h);
        state.upsertHost(hostRecord(host, "10.0.0.5"), ++revision);
    }
    const int keys = 120;
    for (int round = 0; round < 40; ++round) {
        hidden.setActive(round / 5 % 2 == 0);
        const int hiddenRows = hidden.rowCount();
        const int batch = 1 + int(rng() % 60);
        for (int e = 0; e < batch; ++e) {
            const int k = int(rng() % keys);
            // The key names host h-(k%4); the value's host and container vary, so an update can
            // move the row to another host or id.
            const QString keyHost = QStringLiteral("h-%1").arg(k % 4);
            const QString key = QStringLiteral("/portolan/services/%1/svc-%2").arg(keyHost).arg(k);
            if (rng() % 4 == 0) {
                state.removeService(key, ++revision);
                continue;
            }
            const QString host = rng() % 5 == 0 ? QStringLiteral("h-%1").arg(rng() % 4) : keyHost;
            const QString container = QStringLiteral("svc-%1.%2").arg(k).arg(rng() % 3);
            ServiceRecord record = serviceRecord(host, QStringLiteral("svc-%1").arg(k % 7),
                                                 container, 40000 + int(rng() % 500));
            record.key = key;
            state.upsertService(record, ++revision);
        }
        for (ClusterListModel *m : models) {
            if (m->isActive())
                m->flush();
        }
        QVERIFY(!QTest::currentTestFailed());
        // Held, the model signals nothing and keeps its rows until it is active again.
        QVERIFY(!hidden.batcher()->isPending() || !hidden.isActive());
        if (!hidden.isActive())
            QCOMPARE(hidden.rowCount(), hiddenRows);

        const QList<ServiceRecord> want = state.services();
        QCOMPARE(all.rowCount(), want.size());
        for (int r = 0; r < want.size(); ++r)
            QVERIFY2(all.record(r) == want.at(r), qPrintable(QString::number(r)));
        if (hidden.isActive()) {
            QCOMPARE(hidden.rowCount(), want.size());
            for (int r = 0; r < want.size(); ++r)
                QVERIFY(hidden.record(r) == want.at(r));
        }
        const QList<ServiceRecord> wantHost = state.servicesOnHost("h-2");
        QCOMPARE(onHost.rowCount(), wantHost.size());
        for (int r = 0; r < wantHost.size(); ++r)
            QVERIFY(onHost.record(r) == wantHost.at(r));
        QCOMPARE(proxy.count(), want.size());
        for (int r = 1; r < proxy.count(); ++r)
            QVERIFY(proxy.get(r - 1, "port").toInt() <= proxy.get(r, "port").toInt());
        for (int r = 0; r < proxy.count(); r += 7)
            QCOMPARE(proxy.rowOfService(proxy.get(r, "serviceId").toString()), r);
        QCOMPARE(groups.rowCount(), state.servicesByName().size());
    }
    QVERIFY(state.services().size() > 10); // the churn left something to show

    // A burst larger than one batch takes (a re-list, a view shown again) is applied over
    // several batches, each consistent, until the rows equal the cluster's.
    hidden.setActive(true);
    const int burst = int(ClusterListModel::MaxChangesPerBatch) * 2 + 17;
    for (int i = 0; i < burst; ++i) {
        const QString host = QStringLiteral("h-%1").arg(i % 4);
        ServiceRecord record = serviceRecord(host, QStringLiteral("burst"),
                                             QStringLiteral("burst.%1").arg(i), 50000 + i % 1000);
        record.key = QStringLiteral("/portolan/services/%1/burst-%2").arg(host).arg(i);
        state.upsertService(record, ++revision);
    }
    const int flushesBefore = all.batcher()->flushCount();
    for (int i = 0; i < 10 && all.batcher()->isPending(); ++i) {
        for (ClusterListModel *m : models)
            m->flush();
        QVERIFY(!QTest::currentTestFailed());
    }
    QVERIFY(!all.batcher()->isPending());
    QVERIFY2(all.batcher()->flushCount() - flushesBefore >= 3,
             qPrintable(QString::number(all.batcher()->flushCount() - flushesBefore)));
    const QList<ServiceRecord> want = state.services();
    QCOMPARE(all.rowCount(), want.size());
    for (int r = 0; r < want.size(); ++r)
        QVERIFY(all.record(r) == want.at(r));
    QCOMPARE(groups.rowCount(), state.servicesByName().size());
    QCOMPARE(proxy.count(), want.size());
}

void tst_DashboardModels::eventLogPauseResumeClear()
{
    EventLogModel events;
    QAbstractItemModelTester tester(&events);
    events.setCluster(m_connection->state());
    QVERIFY(events.rowCount() > 0);
    const int before = events.rowCount();
    QVERIFY(events.rowCount() <= events.rowLimit());

    events.pause();
    put(serviceKey("core-01", "cache.1"), serviceValue("core-01", "cache", "cache.1", 49190));
    QTRY_COMPARE(events.pendingCount(), 1);
    QCOMPARE(events.rowCount(), before);
    events.resume();
    QCOMPARE(events.pendingCount(), 0);
    QCOMPARE(events.rowCount(), before + 1);
    QCOMPARE(events.index(0).data(EventLogModel::ServiceRole).toString(), "cache");
    QCOMPARE(events.index(0).data(EventLogModel::ActionRole).toString(), "added");

    events.clear();
    QCOMPARE(events.rowCount(), 0);
    del(serviceKey("core-01", "cache.1"));
    QTRY_COMPARE(events.rowCount(), 1);
    QCOMPARE(events.index(0).data(EventLogModel::ActionRole).toString(), "removed");

    int total = 0;
    for (const QVariant &v : events.minuteCounts())
        total += v.toInt();
    QCOMPARE(total, events.totalCount()); // all happened within the last minutes
}

void tst_DashboardModels::eventLogFilters()
{
    EventLogModel events;
    events.setCluster(m_connection->state());
    events.setHostFilter("core-02");
    for (int i = 0; i < events.rowCount(); ++i)
        QCOMPARE(events.index(i).data(EventLogModel::HostRole).toString(), "core-02");
    events.setHostFilter({});
    events.setActionFilter("host-up");
    QVERIFY(events.rowCount() >= 2);
    for (int i = 0; i < events.rowCount(); ++i)
        QCOMPARE(events.index(i).data(EventLogModel::ActionRole).toString(), "host-up");
    events.setActionFilter({});
    events.setServiceFilter("postgres");
    QCOMPARE(events.rowCount(), 1);
}

void tst_DashboardModels::keyTreeListsLazilyAndReadsValues()
{
    KeyTreeModel tree; // no QAbstractItemModelTester here: it would fetch every directory
    tree.setSource(m_connection->keySource());
    QTRY_COMPARE(tree.status(), ClusterState::Status::Ready);
    QCOMPARE(tree.rowCount(), 1);
    const QModelIndex portolan = tree.index(0, 0);
    QCOMPARE(portolan.data(KeyTreeModel::NameRole).toString(), "portolan");
    QVERIFY(tree.canFetchMore(portolan));
    QCOMPARE(tree.rowCount(portolan), 0); // nothing read until expanded
    tree.fetchMore(portolan);
    QTRY_COMPARE(tree.rowCount(portolan), 2);
    const QModelIndex hosts = tree.index(0, 0, portolan);
    QCOMPARE(hosts.data(KeyTreeModel::KeyRole).toString(), "/portolan/hosts/");
    tree.loadChildren(hosts);
    QTRY_COMPARE(tree.rowCount(hosts), 2);
    const QModelIndex core01 = tree.index(0, 0, hosts);
    QVERIFY(!core01.data(KeyTreeModel::IsDirRole).toBool());
    QVERIFY(core01.data(KeyTreeModel::SizeRole).toLongLong() > 0);

    tree.activate(core01);
    QTRY_VERIFY(!tree.selected().value("loading").toBool());
    const QVariantMap v = tree.selected();
    QVERIFY(v.value("found").toBool());
    QVERIFY(v.value("isJson").toBool());
    QVERIFY(v.value("pretty").toString().contains("\n    \"hostname\": \"core-01\""));
    QVERIFY(v.value("modRevision").toLongLong() > 0);
    QCOMPARE(v.value("lease").toString(), QString()); // the test wrote it without a lease

    tree.selectKey("/portolan/hosts/nope");
    QTRY_VERIFY(!tree.selected().value("loading").toBool());
    QVERIFY(tree.selected().value("error").toString().contains("no longer exists"));

    // Prefix search lists the children of any prefix.
    tree.setRootPrefix("/portolan/services/");
    QTRY_COMPARE(tree.rowCount(), 2);
    QCOMPARE(tree.indexForKey("/portolan/services/core-02/").row(), 1);
}

void tst_DashboardModels::keyTreePages()
{
    for (int i = 0; i < 7; ++i)
        put("/paged/k" + QByteArray::number(i), "v");
    KeyTreeModel tree;
    QAbstractItemModelTester tester(&tree);
    tree.setPageSize(3);
    tree.setRootPrefix("/paged/");
    tree.setSource(m_connection->keySource());
    QTRY_COMPARE(tree.rowCount(), 4); // 3 keys and "more"
    QVERIFY(tree.index(3, 0).data(KeyTreeModel::IsMoreRole).toBool());
    tree.activate(tree.index(3, 0));
    QTRY_COMPARE(tree.rowCount(), 7); // 6 keys and "more"
    QVERIFY(tree.index(6, 0).data(KeyTreeModel::IsMoreRole).toBool());
    tree.activate(tree.index(6, 0));
    // k6 replaces "more"; nothing comes after it.
    QTRY_COMPARE(tree.index(6, 0).data(KeyTreeModel::NameRole).toString(), "k6");
    QCOMPARE(tree.rowCount(), 7);
}

void tst_DashboardModels::statusSaysWhyWhenEtcdIsGone()
{
    ClusterConnection connection;
    HostListModel hosts;
    hosts.setCluster(connection.state());
    QCOMPARE(hosts.statusName(), "disconnected");
    QVERIFY(!hosts.errorString().isEmpty());
    // Nothing listens on port 1.
    connection.connectToEtcd(QStringLiteral("127.0.0.1:1"));
    hosts.setCluster(connection.state());
    QTRY_VERIFY_WITH_TIMEOUT(hosts.errorString().contains("127.0.0.1:1"), 10000);
    QVERIFY(hosts.statusName() != "ready");
    QCOMPARE(hosts.rowCount(), 0);
}

void tst_DashboardModels::feedFramesFeedTheState()
{
    // Frames as docs/feed.md spells them, fed to the client without a socket.
    ClusterState state;
    FeedClusterClient feed(&state);
    HostListModel hosts;
    hosts.setCluster(&state);
    ServiceTableModel services;
    services.setCluster(&state);
    const QJsonObject host = hostRecord("core-01", "10.0.0.5").toJson();
    const ServiceRecord redis = serviceRecord("core-01", "redis", "redis.1", 49153);
    const QJsonObject service = redis.toJson();
    auto send = [&](const QJsonObject &o) {
        feed.handleMessage(QString::fromUtf8(QJsonDocument(o).toJson()));
    };
    send({{"type", "hello"}, {"protocol", 1}, {"hostname", "core-01"}});
    BalancerRecord lb;
    lb.name = "lb-1";
    lb.host = "edge-01";
    lb.driver = "nginx";
    lb.routes = {BalancerRoute{"redis", "portolan_redis", 1, 1}};
    BalancerRecord misnamed = lb;
    misnamed.name = "lb/2"; // no key segment: nowhere in etcd it could live
    send({{"type", "snapshot"},
          {"revision", 42},
          {"reason", "initial"},
          {"hosts", QJsonArray{host}},
          {"services", QJsonArray{service}},
          {"events", QJsonArray{}},
          {"balancers", QJsonArray{lb.toJson(), misnamed.toJson()}}});
    send({{"type", "status"}, {"status", "ready"}, {"error", QJsonValue::Null}});
    hosts.flush();
    services.flush();
    QCOMPARE(state.revision(), 42);
    QCOMPARE(hosts.statusName(), "ready");
    QCOMPARE(hosts.rowCount(), 1);
    QCOMPARE(services.rowCount(), 1);
    QCOMPARE(services.record(0).registryKey, "/services/redis/core-01:redis.1:6379");
    QCOMPARE(services.record(0).address(), "10.0.0.5:49153");
    QCOMPARE(services.record(0), redis); // every field, no forged etcd key on the way
    QCOMPARE(state.host("core-01"), hostRecord("core-01", "10.0.0.5"));
    QCOMPARE(state.balancers(), QList<BalancerRecord>{lb});

    // A balancer changes, another appears, one with a bad name is dropped, the first goes.
    lb.lastError = "nginx -t refused the new upstreams; the previous file stays";
    BalancerRecord second = lb;
    second.name = "lb-2";
    send({{"type", "balancer"}, {"balancer", lb.toJson()}});
    send({{"type", "balancer"}, {"balancer", second.toJson()}});
    send({{"type", "balancer"}, {"balancer", misnamed.toJson()}});
    QCOMPARE(state.balancers(), (QList<BalancerRecord>{lb, second}));
    QJsonObject lbGone = lb.toJson();
    lbGone.insert("up", false);
    send({{"type", "balancer"}, {"balancer", lbGone}});
    QCOMPARE(state.balancers(), QList<BalancerRecord>{second});

    send({{"type", "service"}, {"op", "removed"}, {"service", service}});
    QJsonObject gone = host;
    gone.insert("up", false);
    send({{"type", "host"}, {"host", gone}});
    send({{"type", "status"}, {"status", "error"}, {"error", "etcd has no leader"}});
    hosts.flush();
    services.flush();
    QCOMPARE(services.rowCount(), 0);
    QVERIFY(!hosts.index(0).data(HostListModel::UpRole).toBool());
    QCOMPARE(hosts.statusName(), "error");
    QVERIFY(hosts.errorString().contains("etcd has no leader"));
}

void tst_DashboardModels::eventTimeSaysTheDayWhenNotToday()
{
    const QDateTime now = QDateTime(QDate(2026, 12, 2), QTime(16, 30, 0));
    QCOMPARE(EventLogModel::timeText(now.addSecs(-90), now), QStringLiteral("16:28:30"));
    // A service registered three days before the dashboard connected.
    const QString old = EventLogModel::timeText(now.addDays(-3), now);
    QCOMPARE(old, QLocale::c().toString(now.addDays(-3), QStringLiteral("MMM d HH:mm")));
    QVERIFY(old.contains(QLatin1String("29")));
}

QTEST_GUILESS_MAIN(tst_DashboardModels)
#include "tst_dashboardmodels.moc"
