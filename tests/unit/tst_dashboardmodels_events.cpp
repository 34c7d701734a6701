// The dashboard's event log against a real etcd the test fills with agent-shaped records:
// pause, resume and clear, its filters, and the time text of an event not from today.
#include "DashboardModelsTestSupport.h"
#include "dashboard/EventLogModel.h"

#include <QAbstractItemModelTester>

class tst_DashboardModelsEvents : public DashboardModelsTestCase {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { DashboardModelsTestCase::initTestCase(); }
    void eventLogPauseResumeClear();
    void eventTimeSaysTheDayWhenNotToday();
    void eventLogFilters();
};

void tst_DashboardModelsEvents::eventLogPauseResumeClear()
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

void tst_DashboardModelsEvents::eventLogFilters()
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

void tst_DashboardModelsEvents::eventTimeSaysTheDayWhenNotToday()
{
    const QDateTime now = QDateTime(QDate(2026, 12, 2), QTime(16, 30, 0));
    QCOMPARE(EventLogModel::timeText(now.addSecs(-90), now), QStringLiteral("16:28:30"));
    // A service registered three days before the dashboard connected.
    const QString old = EventLogModel::timeText(now.addDays(-3), now);
    QCOMPARE(old, QLocale::c().toString(now.addDays(-3), QStringLiteral("MMM d HH:mm")));
    QVERIFY(old.contains(QLatin1String("29")));
}

QTEST_GUILESS_MAIN(tst_DashboardModelsEvents)
#include "tst_dashboardmodels_events.moc"
