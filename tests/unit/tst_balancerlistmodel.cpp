// The dashboard's load-balancer parts (issue 12) over a ClusterState fed with records built in
// place: BalancerListModel's rows and roles as balancers come, change and go (row inserts and
// removals, never a reset), and the health and "routed by" of ServiceTableModel,
// ServiceFilterModel and ServiceGroupModel following the balancer records.
#include "cluster/ClusterState.h"
#include "dashboard/BalancerListModel.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

namespace {

ServiceRecord service(const QString &host, const QString &name, const QString &container,
                      const QString &health)
{
    ServiceRecord s;
    s.id = QStringLiteral("%1:%2:80").arg(host, container);
    s.key = Keyspace().serviceKey(host, s.id);
    s.name = name;
    s.host = host;
    s.ip = QStringLiteral("10.0.0.5");
    s.port = 32000 + int(qHash(container) % 1000);
    s.protocol = QStringLiteral("tcp");
    s.containerName = container;
    s.health = health;
    s.registeredAt = QDateTime::currentDateTimeUtc().addSecs(-60);
    return s;
}

BalancerRecord balancer(const QString &name, const QList<BalancerRoute> &routes,
                        const QString &error = {})
{
    BalancerRecord b;
    b.name = name;
    b.host = QStringLiteral("edge-01");
    b.driver = QStringLiteral("haproxy");
    b.driverVersion = QStringLiteral("2.6.12");
    b.version = QStringLiteral("0.1.0");
    b.startedAt = QDateTime::currentDateTimeUtc().addSecs(-3600);
    b.lastApplyAt = QDateTime::currentDateTimeUtc().addSecs(-5);
    b.lastApplyMethod = QStringLiteral("runtime");
    b.lastError = error;
    b.routes = routes;
    return b;
}

QString cell(const QAbstractItemModel &model, int row, int column)
{
    return model.index(row, column).data().toString();
}

} // namespace

class tst_BalancerListModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void rowsFollowTheRecords();
    void serviceTableShowsHealthAndRouting();
    void groupsSayWhereTheyAreRouted();

private:
    std::unique_ptr<ClusterState> m_state;
};

void tst_BalancerListModel::init()
{
    m_state = std::make_unique<ClusterState>();
    ClusterSnapshot snapshot;
    snapshot.revision = 10;
    snapshot.services.append({service("core-01", "web", "web.1", "healthy"), 0});
    snapshot.services.append({service("core-02", "web", "web.2", "unhealthy"), 0});
    snapshot.services.append({service("core-02", "redis", "redis.1", "none"), 0});
    snapshot.services.append({service("core-03", "redis", "redis.2", ""), 0});
    snapshot.balancers.append({balancer("lb-2", {{"redis", "redis_up", 2, 2}}), 0});
    m_state->resetToSnapshot(snapshot);
    m_state->setStatus(ClusterState::Status::Ready);
}

void tst_BalancerListModel::rowsFollowTheRecords()
{
    BalancerListModel model;
    QAbstractItemModelTester tester(&model);
    model.setCluster(m_state.get());
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.statusName(), "ready");
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removals(&model, &QAbstractItemModel::rowsRemoved);

    m_state->upsertBalancer(balancer("lb-1", {{"web", "portolan_web", 2, 1}}), 11);
    model.flush();
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(inserts.size(), 1);
    const QModelIndex lb1 = model.index(0);
    QCOMPARE(lb1.data(BalancerListModel::NameRole).toString(), "lb-1");
    QCOMPARE(lb1.data(BalancerListModel::DriverTextRole).toString(), "haproxy 2.6.12");
    QCOMPARE(lb1.data(BalancerListModel::HostRole).toString(), "edge-01");
    QCOMPARE(lb1.data(BalancerListModel::LastApplyTextRole).toString(),
             "through the Runtime API (no reload)");
    QCOMPARE(lb1.data(BalancerListModel::RouteCountRole).toInt(), 1);
    const QVariantMap route = lb1.data(BalancerListModel::RoutesRole).toList().at(0).toMap();
    QCOMPARE(route.value("service").toString(), "web");
    QCOMPARE(route.value("backend").toString(), "portolan_web");
    QCOMPARE(route.value("text").toString(), "2 servers, 1 ready");
    QCOMPARE(model.errorCount(), 0);

    // A failed apply: the row changes in place and the error is counted.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    m_state->upsertBalancer(balancer("lb-1", {{"web", "portolan_web", 2, 1}},
                                     "haproxy -c refused portolan.cfg: line 3"),
                            12);
    model.flush();
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model.index(0).data(BalancerListModel::LastErrorRole).toString(),
             "haproxy -c refused portolan.cfg: line 3");
    QCOMPARE(model.errorCount(), 1);

    m_state->removeBalancer("lb-1", 13);
    model.flush();
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(removals.size(), 1);
    QCOMPARE(model.errorCount(), 0);
    QCOMPARE(resets.size(), 0);
    QCOMPARE(BalancerListModel::routeText({"x", "y", 1, 0}), "1 server, 0 ready");
}

void tst_BalancerListModel::serviceTableShowsHealthAndRouting()
{
    ServiceTableModel table;
    QAbstractItemModelTester tester(&table);
    table.setCluster(m_state.get());
    ServiceFilterModel proxy;
    proxy.setSource(&table);
    proxy.setSortRoleName("health");
    using C = ServiceTableModel;
    // Problems first: unhealthy, healthy, no check, unknown (an agent too old to say).
    QCOMPARE(proxy.get(0, "serviceId").toString(), "core-02:web.2:80");
    QCOMPARE(cell(proxy, 0, C::HealthColumn), "unhealthy");
    QCOMPARE(cell(proxy, 1, C::HealthColumn), "healthy");
    QCOMPARE(cell(proxy, 2, C::HealthColumn), "no check");
    QCOMPARE(proxy.get(2, "healthText").toString(), "no check");
    QCOMPARE(cell(proxy, 3, C::HealthColumn), "");
    QCOMPARE(proxy.get(3, "health").toString(), "");
    QCOMPARE(cell(proxy, 2, C::RoutedColumn), "lb-2 as redis_up");
    QCOMPARE(cell(proxy, 0, C::RoutedColumn), ""); // web is not routed yet

    // lb-1 starts routing web: the Routed column of the rows changes, no reset.
    QSignalSpy resets(&table, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&table, &QAbstractItemModel::dataChanged);
    m_state->upsertBalancer(balancer("lb-1", {{"web", "portolan_web", 2, 1}}), 11);
    QVERIFY(!changed.isEmpty());
    // Only the routing roles: a proxy sorted by another role need not sort again.
    const auto roles = changed.last().at(2).value<QList<int>>();
    QVERIFY(roles.contains(C::RoutedByRole));
    QVERIFY(!roles.contains(C::NameRole));
    QCOMPARE(cell(proxy, 0, C::RoutedColumn), "no traffic · lb-1 as portolan_web");
    QCOMPARE(cell(proxy, 1, C::RoutedColumn), "lb-1 as portolan_web");
    QCOMPARE(proxy.get(0, "routedBy").toString(), "no traffic · lb-1 as portolan_web");
    // The filter finds instances by health and by balancer.
    proxy.setFilterText("lb-1");
    QCOMPARE(proxy.count(), 2);
    proxy.setFilterText("unhealthy");
    QCOMPARE(proxy.count(), 1);
    proxy.setFilterText({});
    // Health changes: the row's Health and Routed cells say so.
    m_state->upsertService(service("core-02", "web", "web.2", "healthy"), 12);
    table.flush();
    const int row = proxy.rowOfService("core-02:web.2:80");
    QCOMPARE(cell(proxy, row, C::HealthColumn), "healthy");
    QCOMPARE(proxy.get(row, "healthText").toString(), "healthy");
    QCOMPARE(cell(proxy, row, C::RoutedColumn), "lb-1 as portolan_web");
    m_state->removeBalancer("lb-1", 13);
    QCOMPARE(cell(proxy, row, C::RoutedColumn), "");
    QCOMPARE(resets.size(), 0);
}

void tst_BalancerListModel::groupsSayWhereTheyAreRouted()
{
    ServiceGroupModel groups;
    QAbstractItemModelTester tester(&groups);
    groups.setCluster(m_state.get());
    QCOMPARE(groups.rowCount(), 2); // redis, web
    const auto role = [&](int row, int r) { return groups.index(row).data(r).toString(); };
    QCOMPARE(role(0, ServiceGroupModel::RoutedByRole), "lb-2 as redis_up (2 of 2 ready)");
    QCOMPARE(role(1, ServiceGroupModel::RoutedByRole), "");
    QCOMPARE(role(1, ServiceGroupModel::HealthSummaryRole), "1 unhealthy");
    const QVariantList web = groups.index(1).data(ServiceGroupModel::InstancesRole).toList();
    QCOMPARE(web.at(1).toMap().value("health").toString(), "unhealthy");
    QCOMPARE(groups.index(0)
                 .data(ServiceGroupModel::InstancesRole)
                 .toList()
                 .at(0)
                 .toMap()
                 .value("healthText")
                 .toString(),
             "no check");
    QSignalSpy changed(&groups, &QAbstractItemModel::dataChanged);
    m_state->upsertBalancer(balancer("lb-1", {{"web", "portolan_web", 2, 1}}), 11);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(role(1, ServiceGroupModel::RoutedByRole), "lb-1 as portolan_web (1 of 2 ready)");
    m_state->upsertService(service("core-02", "web", "web.2", "starting"), 12);
    groups.flush();
    QCOMPARE(role(1, ServiceGroupModel::HealthSummaryRole), "1 starting");
}

QTEST_GUILESS_MAIN(tst_BalancerListModel)
#include "tst_balancerlistmodel.moc"
