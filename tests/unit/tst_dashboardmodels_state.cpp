// The dashboard's models on a ClusterState without an etcd of their own: consistent rows under
// random churn, the status they show when etcd is gone, and the state built from feed frames.
#include "DashboardModelsTestSupport.h"
#include "dashboard/ClusterConnection.h"
#include "dashboard/EventLogModel.h"
#include "dashboard/HostListModel.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"
#include "dashboard/UpdateBatcher.h"
#include "feedclient/FeedClusterClient.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <random>

class tst_DashboardModelsState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void modelsStayConsistentUnderChurn();
    void statusSaysWhyWhenEtcdIsGone();
    void feedFramesFeedTheState();
};

// Many random adds, updates (also moving a key's service to another host or id), removals and
// re-adds, applied in batches to a ClusterState with every list model and the table's sort/filter
// proxy attached to a QAbstractItemModelTester (it fails on any row signal inconsistent with the
// data); after each batch the rows must equal ClusterState's.
void tst_DashboardModelsState::modelsStayConsistentUnderChurn()
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

void tst_DashboardModelsState::statusSaysWhyWhenEtcdIsGone()
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

void tst_DashboardModelsState::feedFramesFeedTheState()
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

QTEST_GUILESS_MAIN(tst_DashboardModelsState)
#include "tst_dashboardmodels_state.moc"
