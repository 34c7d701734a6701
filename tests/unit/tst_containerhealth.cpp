// Docker's HEALTHCHECK as the agent reads it: State.Health from inspects and the health_status
// events recorded from a real dockerd 20.10 (tests/data/docker), and -register-healthy's rule for
// which services keep their registrator key.
#include "docker/ContainerEvent.h"
#include "service/ContainerHealth.h"
#include "service/ServiceBuilder.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

namespace {
QJsonObject inspectFixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/inspect/%1.json").arg(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    return QJsonDocument::fromJson(f.readAll()).object();
}

QJsonObject withHealth(QJsonObject inspect, const QJsonValue &health)
{
    QJsonObject state = inspect.value(QLatin1String("State")).toObject();
    if (health.isUndefined())
        state.remove(QLatin1String("Health"));
    else
        state.insert(QLatin1String("Health"), health);
    inspect.insert(QLatin1String("State"), state);
    return inspect;
}
} // namespace

class tst_ContainerHealth : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fromInspect_data()
    {
        QTest::addColumn<QJsonObject>("inspect");
        QTest::addColumn<QString>("health");
        const QJsonObject healthy = inspectFixture(QStringLiteral("health_healthy"));
        QTest::newRow("no healthcheck")
            << inspectFixture(QStringLiteral("bridge_single")) << QStringLiteral("none");
        QTest::newRow("starting") << inspectFixture(QStringLiteral("health_starting"))
                                  << QStringLiteral("starting");
        QTest::newRow("unhealthy")
            << inspectFixture(QStringLiteral("health_unhealthy")) << QStringLiteral("unhealthy");
        QTest::newRow("healthy") << healthy << QStringLiteral("healthy");
        QTest::newRow("Health null")
            << withHealth(healthy, QJsonValue::Null) << QStringLiteral("none");
        QTest::newRow("Health without Status")
            << withHealth(healthy, QJsonObject{{QStringLiteral("FailingStreak"), 0}})
            << QStringLiteral("starting");
        QTest::newRow("unknown Status")
            << withHealth(healthy, QJsonObject{{QStringLiteral("Status"), QStringLiteral("odd")}})
            << QStringLiteral("starting");
        QTest::newRow("empty inspect") << QJsonObject() << QStringLiteral("none");
    }
    void fromInspect()
    {
        QFETCH(QJsonObject, inspect);
        QFETCH(QString, health);
        QCOMPARE(ContainerHealth::fromInspect(inspect), health);
    }

    void normalized_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("health");
        for (const char *known : {"none", "starting", "healthy", "unhealthy"})
            QTest::newRow(known) << QString::fromLatin1(known) << QString::fromLatin1(known);
        QTest::newRow("spaces") << QStringLiteral(" healthy ") << QStringLiteral("healthy");
        QTest::newRow("upper case") << QStringLiteral("Healthy") << QString();
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("unknown") << QStringLiteral("degraded") << QString();
    }
    void normalized()
    {
        QFETCH(QString, status);
        QFETCH(QString, health);
        QCOMPARE(ContainerHealth::normalized(status), health);
    }

    void withholdsKey_data()
    {
        QTest::addColumn<QString>("health");
        QTest::addColumn<bool>("withheld");
        QTest::newRow("none") << QStringLiteral("none") << false;
        QTest::newRow("starting") << QStringLiteral("starting") << true;
        QTest::newRow("healthy") << QStringLiteral("healthy") << false;
        QTest::newRow("unhealthy") << QStringLiteral("unhealthy") << true;
        QTest::newRow("stopping") << QStringLiteral("stopping") << true;
    }
    void withholdsKey()
    {
        QFETCH(QString, health);
        QFETCH(bool, withheld);
        QCOMPARE(ContainerHealth::withholdsKey(health), withheld);
    }

    void stopSignals()
    {
        for (const char *s : {"2", "3", "15", "SIGTERM"})
            QVERIFY2(ContainerHealth::isStopSignal(QLatin1String(s)), s);
        // SIGKILL ends the container at once: nothing to drain, the removal follows.
        for (const char *s : {"1", "9", "SIGKILL", "10", "12", "28", "", "SIGHUP", "150"})
            QVERIFY2(!ContainerHealth::isStopSignal(QLatin1String(s)), s);
    }

    // What dockerd 20.10 sent for one container: start, health_status: unhealthy,
    // health_status: healthy, die (filter type=container, event=start,die,health_status).
    void recordedHealthEvents()
    {
        QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/events_health.ndjson"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QStringList seen;
        while (!f.atEnd()) {
            const QByteArray line = f.readLine().trimmed();
            if (line.isEmpty())
                continue;
            const ContainerEvent e =
                ContainerEvent::fromJson(QJsonDocument::fromJson(line).object());
            seen << (e.isHealthStatus() ? QStringLiteral("health:") + e.healthStatus() : e.action);
        }
        QCOMPARE(seen, QStringList({QStringLiteral("start"), QStringLiteral("health:unhealthy"),
                                    QStringLiteral("health:healthy"), QStringLiteral("die")}));
    }

    void healthStatusOfAction_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<bool>("isHealth");
        QTest::addColumn<QString>("status");
        QTest::newRow("healthy") << QStringLiteral("health_status: healthy") << true
                                 << QStringLiteral("healthy");
        QTest::newRow("no space") << QStringLiteral("health_status:unhealthy") << true
                                  << QStringLiteral("unhealthy");
        QTest::newRow("bare") << QStringLiteral("health_status") << true << QString();
        QTest::newRow("start") << QStringLiteral("start") << false << QString();
        QTest::newRow("exec") << QStringLiteral("exec_start: sh -c test -f /tmp/ok") << false
                              << QString();
    }
    void healthStatusOfAction()
    {
        QFETCH(QString, action);
        QFETCH(bool, isHealth);
        QFETCH(QString, status);
        ContainerEvent e;
        e.action = action;
        QCOMPARE(e.isHealthStatus(), isHealth);
        QCOMPARE(e.healthStatus(), status);
    }

    // The builder stamps every service of the container; -register-healthy withholds the key of
    // a container whose healthcheck has not passed (or fails), never of one without a check.
    void builderStampsHealth_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<bool>("registerHealthy");
        QTest::addColumn<QString>("health");
        QTest::addColumn<bool>("withheld");
        QTest::newRow("no check") << QStringLiteral("bridge_single") << false
                                  << QStringLiteral("none") << false;
        QTest::newRow("no check, -register-healthy")
            << QStringLiteral("bridge_single") << true << QStringLiteral("none") << false;
        QTest::newRow("starting") << QStringLiteral("health_starting") << false
                                  << QStringLiteral("starting") << false;
        QTest::newRow("starting, -register-healthy")
            << QStringLiteral("health_starting") << true << QStringLiteral("starting") << true;
        QTest::newRow("unhealthy, -register-healthy")
            << QStringLiteral("health_unhealthy") << true << QStringLiteral("unhealthy") << true;
        QTest::newRow("healthy, -register-healthy")
            << QStringLiteral("health_healthy") << true << QStringLiteral("healthy") << false;
    }
    void builderStampsHealth()
    {
        QFETCH(QString, fixture);
        QFETCH(bool, registerHealthy);
        QFETCH(QString, health);
        QFETCH(bool, withheld);
        ServiceOptions options;
        options.hostname = QStringLiteral("vm");
        options.resolvedHostIp = QStringLiteral("192.0.2.10");
        options.registerHealthyOnly = registerHealthy;
        const ServiceBuilder builder(options);
        const ServiceBuildResult r = builder.build(inspectFixture(fixture));
        QVERIFY(!r.services.isEmpty());
        for (const ServiceDefinition &s : r.services) {
            QCOMPARE(s.health, health);
            QCOMPARE(s.keyWithheld, withheld);
        }
        // A later event flips it both ways.
        ServiceDefinition s = r.services.first();
        builder.setHealth(s, QStringLiteral("healthy"));
        QCOMPARE(s.keyWithheld, false);
        builder.setHealth(s, QStringLiteral("unhealthy"));
        QCOMPARE(s.keyWithheld, registerHealthy);
        QVERIFY(s != r.services.first() || health == QLatin1String("unhealthy"));
    }
};

QTEST_GUILESS_MAIN(tst_ContainerHealth)
#include "tst_containerhealth.moc"
