// RegistrationBridge and ContainerSync against FakeDocker (recorded inspect JSON from a real
// dockerd, tests/data/docker) and FakeRegistry: live events, the start-up sync, events deferred
// during it, -deregister=on-success, shared network stacks and a refused container list.
#include "FakeDocker.h"
#include "FakeRegistry.h"
#include "agent/RegistrationBridge.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <memory>

namespace {
const QString kForbidden = QStringLiteral("Docker at unix:///fake/docker.sock answered 403 "
                                          "Forbidden to GET /v1.41/containers/json: denied");

// Every log line while it lives.
class LogCapture {
public:
    LogCapture() { s_lines = &lines, m_previous = qInstallMessageHandler(&LogCapture::handle); }
    ~LogCapture() { qInstallMessageHandler(m_previous), s_lines = nullptr; }
    int count(const QString &line) const { return int(lines.count(line)); }
    int countStarting(const QString &prefix) const
    {
        return int(std::count_if(lines.begin(), lines.end(),
                                 [&](const QString &l) { return l.startsWith(prefix); }));
    }
    QStringList lines;

private:
    static void handle(QtMsgType, const QMessageLogContext &, const QString &message)
    {
        if (s_lines)
            s_lines->append(message);
    }
    static inline QStringList *s_lines = nullptr;
    QtMessageHandler m_previous = nullptr;
};

QString listFailedLine(double inSeconds)
{
    return QStringLiteral("listing containers failed: %1; container events are still handled, "
                          "the list is asked for again in %2 s and then less often (at most "
                          "every 30 s); this is logged again only when the fault changes")
        .arg(kForbidden)
        .arg(inSeconds);
}
} // namespace

class tst_RegistrationBridge : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<FakeDocker> m_docker;
    std::unique_ptr<FakeRegistry> m_registry;
    std::unique_ptr<RegistrationBridge> m_bridge;

    // Starts a bridge on host "vm" (0.0.0.0 bindings: 192.0.2.10) and waits for its first sync.
    void startBridge(bool deregisterOnSuccessOnly = false)
    {
        ServiceOptions options;
        options.hostname = QStringLiteral("vm");
        options.resolvedHostIp = QStringLiteral("192.0.2.10");
        RegistrationBridge::Settings settings;
        settings.deregisterOnSuccessOnly = deregisterOnSuccessOnly;
        m_bridge = std::make_unique<RegistrationBridge>(m_docker.get(), m_registry.get(),
                                                        ServiceBuilder(options), settings);
        QSignalSpy synced(m_bridge.get(), &RegistrationBridge::synced);
        m_bridge->start();
        if (m_docker->listError.isEmpty() && !m_docker->holdInspects)
            QVERIFY(synced.wait(5000));
    }
    void resync() { Q_EMIT m_docker->eventDropped(QStringLiteral("an event was lost")); }

private Q_SLOTS:
    void init()
    {
        m_docker = std::make_unique<FakeDocker>();
        m_registry = std::make_unique<FakeRegistry>();
    }
    void cleanup() { m_bridge.reset(); }

    void decodesRecordedEvent()
    {
        QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/events.ndjson"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const ContainerEvent e =
            ContainerEvent::fromJson(QJsonDocument::fromJson(f.readLine()).object());
        QCOMPARE(e.type, QStringLiteral("container"));
        QCOMPARE(e.action, QStringLiteral("start"));
        QCOMPARE(e.containerId.left(12), QStringLiteral("5b821d2809ba"));
        QCOMPARE(e.attributes.value(QStringLiteral("name")), QStringLiteral("redis.1"));
        QCOMPARE(e.attributes.value(QStringLiteral("image")), QStringLiteral("example/redis"));
        QCOMPARE(e.timeNano, Q_INT64_C(1795756979841201897));
        // Daemons before API 1.22 send only status and id.
        const ContainerEvent old =
            ContainerEvent::fromJson(QJsonObject{{QStringLiteral("status"), QStringLiteral("die")},
                                                 {QStringLiteral("id"), QStringLiteral("abc")}});
        QVERIFY(old.isContainer());
        QCOMPARE(old.action, QStringLiteral("die"));
        QCOMPARE(old.containerId, QStringLiteral("abc"));
    }

    void liveStartAndDie_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QStringList>("others"); // inspectable, not started
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<QString>("note");
        auto row = [](const char *tag, const char *fixture, const QStringList &expected,
                      const QString &note = {}, const QStringList &others = {}) {
            QTest::newRow(tag) << fixture << others << expected << note;
        };
        row("0.0.0.0 and :: bindings", "bridge_single", {"vm:redis.1:6379 192.0.2.10:32776"});
        row("two ports", "multi_port",
            {"vm:web.1:443 192.0.2.10:32769", "vm:web.1:80 192.0.2.10:32770"});
        row("udp", "udp", {"vm:dns.1:53:udp 192.0.2.10:32768"});
        row("host network", "host_net", {"vm:hostnet.1:6379 192.0.2.10:6379"});
        row("user network", "user_net", {"vm:usernet.1:6379 172.18.0.2:32771"});
        row("loopback binding", "loopback_binding", {"vm:loopback.1:6379 127.0.0.1:32775"});
        row("container:<id> network: the target's address", "container_net",
            {"vm:cnet.1:6379 172.17.0.5:6379"}, {}, {"container_net_target"});
        row("unpublished port", "exposed_unpublished", {},
            "ignored: 8fac766e7e96 port 6379 not published on host");
        row("no ports", "no_ports", {}, "ignored: 47b3ccc503ba no published ports");
        row("created, not running", "created_not_started", {});
    }
    void liveStartAndDie()
    {
        QFETCH(QString, fixture);
        QFETCH(QStringList, others);
        QFETCH(QStringList, expected);
        QFETCH(QString, note);
        const QString id = m_docker->add(fixture, false);
        for (const QString &other : others)
            m_docker->add(other, false);
        startBridge();
        LogCapture log;
        m_docker->sendEvent(QStringLiteral("start"), id);
        QTRY_COMPARE(m_docker->answered, 1 + int(others.size()));
        QTRY_COMPARE(m_registry->held(), expected);
        if (!note.isEmpty())
            QCOMPARE(log.count(note), 1);
        m_docker->exited(id, 137);
        m_docker->sendEvent(QStringLiteral("die"), id);
        QTRY_COMPARE(m_registry->held(), QStringList());
    }

    // dockerd's recorded /events body: 11 starts, restarts, then every container dies.
    void recordedEventStream()
    {
        const QStringList fixtures{"bridge_single",
                                   "multi_port",
                                   "udp",
                                   "host_net",
                                   "user_net",
                                   "container_net",
                                   "container_net_target",
                                   "service_env_labels",
                                   "no_ports",
                                   "exposed_unpublished",
                                   "loopback_binding"};
        for (const QString &f : fixtures)
            m_docker->add(f, false);
        startBridge();
        QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/events.ndjson"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        for (int i = 0; i < lines.size(); ++i) {
            const QJsonObject event = QJsonDocument::fromJson(lines[i]).object();
            Q_EMIT m_docker->eventReceived(ContainerEvent::fromJson(event));
            if (i == 10) // every container has started
                QTRY_COMPARE(m_registry->held().size(), 11);
        }
        QTRY_COMPARE(m_registry->held(), QStringList());
    }

    void startupSync()
    {
        for (const char *f : {"bridge_single", "multi_port", "udp", "host_net", "user_net",
                              "container_net", "container_net_target", "service_env_labels",
                              "no_ports", "exposed_unpublished", "loopback_binding"})
            m_docker->add(QString::fromLatin1(f), false);
        // The recorded list, in the daemon's order.
        QFile list(QStringLiteral(PORTOLAN_TEST_DATA "/docker/containers_list.json"));
        QVERIFY(list.open(QIODevice::ReadOnly));
        for (const QJsonValue &c : QJsonDocument::fromJson(list.readAll()).array())
            m_docker->running << c.toObject().value(QStringLiteral("Id")).toString();
        LogCapture log;
        startBridge();
        QCOMPARE(log.count(QStringLiteral("Syncing services on 11 containers")), 1);
        QCOMPARE(m_registry->calls.first(), QStringLiteral("beginReconcile"));
        QCOMPARE(m_registry->calls.count(QStringLiteral("flush")), 1);
        QCOMPARE(m_registry->calls.last(), QStringLiteral("reconcile 11"));
        QCOMPARE(m_registry->held().size(), 11);
        QVERIFY(m_registry->held().contains(QStringLiteral("vm:cnet.1:6379 172.17.0.5:6379")));
        QCOMPARE(m_bridge->services().size(), 11); // publishing or not
        const QString note =
            QStringLiteral("ignored: 8fac766e7e96 port 6379 not published on host");
        QCOMPARE(log.count(note), 1);
        // A resync writes nothing new and repeats no notes.
        resync();
        QTRY_COMPARE(m_registry->reconciles, 2);
        QCOMPARE(log.count(note), 1);
        QCOMPARE(m_registry->held().size(), 11);
    }

    void syncInspectsSixteenAtATime()
    {
        const QJsonObject redis = FakeDocker::fixture(QStringLiteral("bridge_single"));
        for (int i = 0; i < 40; ++i) {
            QJsonObject c = redis;
            const QString id = QStringLiteral("%1").arg(i, 64, 10, QLatin1Char('0'));
            c.insert(QStringLiteral("Id"), id);
            c.insert(QStringLiteral("Name"), QStringLiteral("/redis.%1").arg(i));
            m_docker->containers.insert(id, c);
            m_docker->running << id;
        }
        startBridge();
        QCOMPARE(m_registry->held().size(), 40);
        QCOMPARE(m_docker->maxInFlight, 16);
    }

    void eventsDeferredDuringSync()
    {
        const QString redis = m_docker->add(QStringLiteral("bridge_single"));
        const QString web = m_docker->add(QStringLiteral("multi_port"), false);
        m_docker->holdInspects = true;
        startBridge();
        QTRY_COMPARE(m_docker->heldInspects(), 1);
        m_docker->sendEvent(QStringLiteral("die"), redis);
        m_docker->sendEvent(QStringLiteral("start"), web);
        QTest::qWait(20);
        QCOMPARE(m_docker->inspects, 1); // the start waits for the sync
        QVERIFY(m_registry->services.isEmpty());
        m_docker->releaseInspects();
        QTRY_COMPARE(m_registry->held(), QStringList({"vm:web.1:443 192.0.2.10:32769",
                                                      "vm:web.1:80 192.0.2.10:32770"}));
        const QStringList order{"put vm:redis.1:6379", "reconcile 1", "del vm:redis.1:6379"};
        QCOMPARE(m_registry->calls.mid(m_registry->calls.indexOf(order.first()), 3), order);
    }

    void deregisterOnSuccess_data()
    {
        QTest::addColumn<bool>("onSuccess");
        QTest::addColumn<int>("exitCode");          // -1: removed (inspect 404), -2: still running
        QTest::addColumn<QString>("eventExitCode"); // the die event's exitCode; empty: none
        QTest::addColumn<bool>("inspected");
        QTest::addColumn<bool>("removed");
        QTest::addColumn<QString>("log");
        const QString id = QStringLiteral("5b821d2809ba");
        const QString failed = "not deregistering " + id +
                               " : exited with code 1 (-deregister=on-success); it is removed at "
                               "the next resync";
        // A daemon that sends no exitCode (before 1.10): inspect decides.
        QTest::newRow("exit 0") << true << 0 << QString() << true << true << QString();
        QTest::newRow("killed by a signal (137)")
            << true << 137 << QString() << true << true << QString();
        QTest::newRow("exit 1 stays until the next resync")
            << true << 1 << QString() << true << false << failed;
        QTest::newRow("container removed")
            << true << -1 << QString() << true << true
            << "container " + id + " was removed, could not fetch exit code";
        QTest::newRow("still running") << true << -2 << QString() << true << false
                                       << "not removing container " + id + " , still running";
        // The event's exitCode: a failure needs no inspect; a success still asks whether a
        // restart policy has the container running again.
        QTest::newRow("event says exit 1: no inspect")
            << true << 1 << "1" << false << false << failed;
        QTest::newRow("event says 137: inspect for a restart")
            << true << 137 << "137" << true << true << QString();
        QTest::newRow("event says 0, restarted: kept")
            << true << -2 << "0" << true << false
            << "not removing container " + id + " , still running";
        QTest::newRow("event exitCode unreadable: inspect")
            << true << 1 << "x" << true << false << failed;
        // -deregister=always never asks Docker on `die`.
        QTest::newRow("-deregister=always, exit 1")
            << false << 1 << QString() << false << true << QString();
        QTest::newRow("-deregister=always, event says 1")
            << false << 1 << "1" << false << true << QString();
    }
    void deregisterOnSuccess()
    {
        QFETCH(bool, onSuccess);
        QFETCH(int, exitCode);
        QFETCH(QString, eventExitCode);
        QFETCH(bool, inspected);
        QFETCH(bool, removed);
        QFETCH(QString, log);
        const QString id = m_docker->add(QStringLiteral("bridge_single"));
        startBridge(onSuccess);
        QCOMPARE(m_registry->held().size(), 1);
        LogCapture capture;
        if (exitCode == -1)
            m_docker->containers.remove(id);
        else if (exitCode >= 0)
            m_docker->exited(id, exitCode);
        const int inspects = m_docker->inspects;
        const int answered = m_docker->answered + (inspected ? 1 : 0);
        QJsonObject attributes;
        if (!eventExitCode.isEmpty())
            attributes.insert(QStringLiteral("exitCode"), eventExitCode);
        m_docker->sendEvent(QStringLiteral("die"), id, attributes);
        QTRY_COMPARE(m_docker->answered, answered);
        QTest::qWait(20); // an inspect asked for by mistake would be counted by now
        QCOMPARE(m_docker->inspects, inspects + (inspected ? 1 : 0));
        QCOMPARE(m_registry->held().size(), removed ? 0 : 1);
        if (!log.isEmpty())
            QCOMPARE(capture.count(log), 1);
        if (exitCode == -2)
            return;
        resync();
        QTRY_COMPARE(m_registry->reconciles, 2);
        QCOMPARE(m_registry->held(), QStringList());
    }

    // -deregister=always: the `die` is handled before control returns to the event loop, with
    // no Docker call, and every port of the container goes to the registry at once.
    void dieWritesTheRemovalAtOnce()
    {
        const QString id = m_docker->add(QStringLiteral("multi_port"));
        startBridge();
        QCOMPARE(m_registry->held().size(), 2);
        const int inspects = m_docker->inspects;
        const int calls = int(m_registry->calls.size());
        m_docker->exited(id, 137);
        m_docker->sendEvent(QStringLiteral("die"), id,
                            QJsonObject{{QStringLiteral("exitCode"), QStringLiteral("137")}});
        // No event loop turn in between: nothing was waiting for a timer or an answer.
        QCOMPARE(m_registry->held(), QStringList());
        QCOMPARE(m_registry->calls.mid(calls),
                 QStringList({"del vm:web.1:80", "del vm:web.1:443", "sendNow"}));
        QTest::qWait(20);
        QCOMPARE(m_docker->inspects, inspects);
    }

    void networkContainerGone()
    {
        const QString id = m_docker->add(QStringLiteral("container_net"), false);
        startBridge();
        LogCapture log;
        m_docker->sendEvent(QStringLiteral("start"), id);
        QTRY_COMPARE(
            log.countStarting(QStringLiteral("unable to inspect network container of 0c1096b2b275 "
                                             "Docker at unix:///fake/docker.sock answered 404")),
            1);
        QTest::qWait(20);
        for (const ServiceDefinition &s : std::as_const(m_registry->services))
            QVERIFY2(s.ip != QLatin1String("172.17.0.5"), qPrintable(s.address()));
    }

    // A filtering proxy refuses the list: events are still handled, the list is asked for again
    // after 1 s, then 2 s, logged once; a full sync resets the backoff.
    void listRefusedBacksOff()
    {
        LogCapture log;
        m_docker->listError = kForbidden;
        const QString redis = m_docker->add(QStringLiteral("bridge_single"), false);
        startBridge();
        QTRY_COMPARE(m_docker->lists, 1);
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(log.count(listFailedLine(1)), 1);
        m_docker->sendEvent(QStringLiteral("start"), redis);
        QTRY_COMPARE(m_registry->held().size(), 1);

        QTRY_COMPARE_WITH_TIMEOUT(m_docker->lists, 2, 3000);
        // The clock starts a poll after the refusal, and a coarse timer may fire 5 % early: the
        // bounds only tell the 1 s and 2 s steps from the 100 ms reconnect and from each other.
        QVERIFY2(clock.elapsed() >= 700, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(log.countStarting(QStringLiteral("listing containers failed")), 1);

        clock.restart();
        m_docker->listError.clear();
        m_docker->running = {redis};
        QSignalSpy synced(m_bridge.get(), &RegistrationBridge::synced);
        QVERIFY(synced.wait(4000));
        QVERIFY2(clock.elapsed() >= 1500, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(log.count(QStringLiteral("Docker answers the container list again")), 1);

        m_docker->listError = kForbidden;
        resync();
        QTRY_COMPARE(log.count(listFailedLine(1)), 2); // back to 1 s, and logged anew
    }

    // The event stream reopening is no full sync: the refused list keeps its backoff.
    void reconnectKeepsListBackoff()
    {
        LogCapture log;
        m_docker->listError = kForbidden;
        startBridge();
        QTRY_COMPARE(m_docker->lists, 1);
        m_docker->cutEvents(QStringLiteral("Docker at unix:///fake/docker.sock ended the event "
                                           "stream"));
        QTRY_COMPARE(m_docker->pings, 2);
        QTRY_VERIFY(m_docker->eventsOpen);
        QTest::qWait(300);
        QCOMPARE(m_docker->lists, 1);
        QTRY_COMPARE_WITH_TIMEOUT(m_docker->lists, 2, 2000);
        QCOMPARE(log.count(QStringLiteral("Docker event stream closed: Docker at "
                                          "unix:///fake/docker.sock ended the event stream; "
                                          "retrying with backoff")),
                 1);
        QCOMPARE(log.count(QStringLiteral("Reconnected to Docker at unix:///fake/docker.sock")), 1);
        QCOMPARE(log.countStarting(QStringLiteral("listing containers failed")), 1);
    }
};

QTEST_GUILESS_MAIN(tst_RegistrationBridge)
#include "tst_registrationbridge.moc"
