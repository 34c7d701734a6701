// The dashboard's key tree against a real etcd the test fills with agent-shaped records: lazy
// listing, reading values, prefix search, and paging.
#include "DashboardModelsTestSupport.h"
#include "dashboard/KeyTreeModel.h"

#include <QAbstractItemModelTester>

class tst_DashboardModelsKeyTree : public DashboardModelsTestCase {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { DashboardModelsTestCase::initTestCase(); }
    void keyTreeListsLazilyAndReadsValues();
    void keyTreePages();
};

void tst_DashboardModelsKeyTree::keyTreeListsLazilyAndReadsValues()
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

void tst_DashboardModelsKeyTree::keyTreePages()
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

QTEST_GUILESS_MAIN(tst_DashboardModelsKeyTree)
#include "tst_dashboardmodels_keytree.moc"
