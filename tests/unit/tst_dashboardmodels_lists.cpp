// The dashboard's list models against a real etcd the test fills with agent-shaped records:
// hosts, the service table and its sort/filter proxy, groups, and a burst of 100 services
// coalesced into few updates.
#include "DashboardModelsTestSupport.h"
#include "dashboard/EventLogModel.h"
#include "dashboard/HostListModel.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"
#include "dashboard/UpdateBatcher.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QSignalSpy>

class tst_DashboardModelsLists : public DashboardModelsTestCase {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { DashboardModelsTestCase::initTestCase(); }
    void hostsFromEtcd();
    void serviceTableInsertsAndRemovesRows();
    void filterAndSort_data();
    void filterAndSort();
    void groupsSummarise();
    void burstIsCoalesced();
};

void tst_DashboardModelsLists::hostsFromEtcd()
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

void tst_DashboardModelsLists::serviceTableInsertsAndRemovesRows()
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

void tst_DashboardModelsLists::filterAndSort_data()
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

void tst_DashboardModelsLists::filterAndSort()
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

void tst_DashboardModelsLists::groupsSummarise()
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

void tst_DashboardModelsLists::burstIsCoalesced()
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

QTEST_GUILESS_MAIN(tst_DashboardModelsLists)
#include "tst_dashboardmodels_lists.moc"
