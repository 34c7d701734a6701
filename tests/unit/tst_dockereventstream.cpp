// DockerEventStream against FakeDockerDaemon (chunking, over-long and broken lines, cut streams,
// timeouts) and, when PORTOLAN_TEST_DOCKER_SOCK is set, a real dockerd.
#include "DockerClientTestSupport.h"
#include "docker/DockerEventStream.h"

#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

class TestDockerEventStream : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eventsTarget();
    void eventStream_data();
    void eventStream();
    void eventStreamStopFromHandler();
    void eventStreamHeadersTimeout();
    void realEventStream();
};

void TestDockerEventStream::eventsTarget()
{
    QCOMPARE(DockerEventStream::eventsTarget(QStringLiteral("v1.41")),
             QByteArray("/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22"
                        "%3A%5B%22start%22%2C%22die%22%2C%22kill%22%2C%22health_status%22%5D%7D"));
}

void TestDockerEventStream::eventStream_data()
{
    QTest::addColumn<QList<QByteArray>>("pieces");
    QTest::addColumn<int>("maxLine");
    QTest::addColumn<bool>("opened");
    QTest::addColumn<QStringList>("actions"); // Action of each event, in order
    QTest::addColumn<QString>("error");

    const QByteArray start = R"({"Type":"container","Action":"start","Actor":{"ID":"a1"}})";
    const QByteArray die = R"({"Type":"container","Action":"die","Actor":{"ID":"a1"}})";
    QTest::newRow("lines span chunks and writes")
        << QList<QByteArray>{StreamHeaders,
                             chunk(start.left(10)),
                             chunk(start.mid(10)) + chunk("\n" + die.left(5)).left(4),
                             chunk("\n" + die.left(5)).mid(4),
                             chunk(die.mid(5) + "\n"),
                             "0\r\n\r\n"}
        << 1024 * 1024 << true << QStringList{"start", "die"} << "ended the event stream";
    QTest::newRow("two events in one chunk")
        << QList<QByteArray>{StreamHeaders + chunk(start + "\n" + die + "\n") + "0\r\n\r\n"}
        << 1024 * 1024 << true << QStringList{"start", "die"} << "ended the event stream";
    int realEvents = fixture("events_stream_cut.http").count("\n{");
    QStringList realActions;
    for (int i = 0; i < realEvents; ++i)
        realActions << QString();
    QTest::newRow("dockerd shutdown cuts the stream")
        << QList<QByteArray>{fixture("events_stream_cut.http")} << 1024 * 1024 << true
        << realActions << "before the last chunk";
    // An over-long event is dropped, its rest never buffered, and the stream goes on.
    QTest::newRow("line too long")
        << QList<QByteArray>{StreamHeaders,
                             chunk(start + "\n"),
                             chunk(QByteArray(101, ' ')),
                             chunk(QByteArray(300, ' ')),
                             chunk("}\n" + die + "\n"),
                             "0\r\n\r\n"}
        << 100 << true << QStringList{"start", "die"} << "ended the event stream";
    QTest::newRow("line too long in one chunk")
        << QList<QByteArray>{StreamHeaders,
                             chunk("{" + QByteArray(200, ' ') + "}\n" + start + "\n"), "0\r\n\r\n"}
        << 100 << true << QStringList{"start"} << "ended the event stream";
    QTest::newRow("invalid json") << QList<QByteArray>{StreamHeaders, chunk("{\"Type\":\n")}
                                  << 1024 * 1024 << true << QStringList{} << "not a JSON object";
    QTest::newRow("json array") << QList<QByteArray>{StreamHeaders, chunk("[1]\n")} << 1024 * 1024
                                << true << QStringList{} << "not a JSON object";
    QTest::newRow("http framing error")
        << QList<QByteArray>{StreamHeaders, chunk(start + "\n"), "zz\r\n"} << 1024 * 1024 << true
        << QStringList{"start"} << "malformed chunk size";
    QTest::newRow("version rejected")
        << QList<QByteArray>{fixture("version_too_new_response.http")} << 1024 * 1024 << false
        << QStringList{} << "answered 400 to the event stream request: client version 9.99";
}

void TestDockerEventStream::eventStream()
{
    QFETCH(QList<QByteArray>, pieces);
    QFETCH(int, maxLine);
    QFETCH(bool, opened);
    QFETCH(QStringList, actions);
    QFETCH(QString, error);
    FakeDockerDaemon daemon;
    daemon.script({{pieces, 20}});
    DockerEventStream stream(daemon.endpoint());
    stream.setMaxLineBytes(maxLine);
    QSignalSpy openedSpy(&stream, &DockerEventStream::opened);
    QSignalSpy closedSpy(&stream, &DockerEventStream::closed);
    QSignalSpy droppedSpy(&stream, &DockerEventStream::eventDropped);
    QStringList got;
    connect(&stream, &DockerEventStream::eventReceived, this, [&](const ContainerEvent &e) {
        QCOMPARE(e.type, QStringLiteral("container"));
        got << e.action;
    });
    stream.start(QStringLiteral("v1.41"));
    QVERIFY(stream.isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(closedSpy.size(), 1, 5000);
    QVERIFY(!stream.isRunning());
    QCOMPARE(openedSpy.size(), opened ? 1 : 0);
    const QString message = closedSpy.at(0).at(0).toString();
    QVERIFY2(message.contains(error), qPrintable(message));
    QVERIFY(message.startsWith(QStringLiteral("Docker at unix://")));
    QCOMPARE(got.size(), actions.size());
    for (int i = 0; i < actions.size(); ++i)
        if (!actions[i].isEmpty())
            QCOMPARE(got[i], actions[i]);
    QVERIFY(daemon.requests.value(0).startsWith("GET " + DockerEventStream::eventsTarget("v1.41") +
                                                " HTTP/1.1\r\n"));
    QTest::qWait(50);
    QCOMPARE(closedSpy.size(), 1); // exactly once
    const bool tooLong = QByteArray(QTest::currentDataTag()).startsWith("line too long");
    QCOMPARE(droppedSpy.size(), tooLong ? 1 : 0);
    if (tooLong) {
        QVERIFY(droppedSpy.at(0).at(0).toString().contains(
            QStringLiteral("sent an event longer than 100 bytes; it was dropped")));
    }
}

void TestDockerEventStream::eventStreamStopFromHandler()
{
    FakeDockerDaemon daemon;
    const QByteArray e = R"({"Type":"container","Action":"start","Actor":{"ID":"a1"}})";
    daemon.script({{{StreamHeaders + chunk(e + "\n" + e + "\n" + e + "\n")}, 0, true}});
    auto *stream = new DockerEventStream(daemon.endpoint());
    QSignalSpy closedSpy(stream, &DockerEventStream::closed);
    int events = 0;
    connect(stream, &DockerEventStream::eventReceived, this, [&] {
        ++events;
        delete stream; // the owner may destroy the stream from a handler
    });
    stream->start(QStringLiteral("v1.41"));
    QTRY_COMPARE(events, 1);
    QTest::qWait(100);
    QCOMPARE(events, 1);
}

void TestDockerEventStream::eventStreamHeadersTimeout()
{
    FakeDockerDaemon daemon;
    daemon.script({{{}, 0, true}});
    DockerEventStream stream(daemon.endpoint());
    stream.setTimeout(300);
    QSignalSpy closedSpy(&stream, &DockerEventStream::closed);
    stream.start(QStringLiteral("v1.41"));
    QTRY_COMPARE(closedSpy.size(), 1);
    QVERIFY(closedSpy.at(0).at(0).toString().contains(QStringLiteral("within 0.3 s")));

    // Once open, a silent stream is fine: no timeout after the headers.
    FakeDockerDaemon quiet;
    quiet.script({{{StreamHeaders}, 0, true}});
    DockerEventStream open(quiet.endpoint());
    open.setTimeout(200);
    QSignalSpy openedSpy(&open, &DockerEventStream::opened);
    QSignalSpy closedQuiet(&open, &DockerEventStream::closed);
    open.start(QStringLiteral("v1.41"));
    QTRY_COMPARE(openedSpy.size(), 1);
    QTest::qWait(600);
    QCOMPARE(closedQuiet.size(), 0);
    open.stop();
    QTest::qWait(50);
    QCOMPARE(closedQuiet.size(), 0); // stop() is not reported as closed
}

void TestDockerEventStream::realEventStream()
{
    if (qEnvironmentVariableIsEmpty("PORTOLAN_TEST_DOCKER_SOCK"))
        QSKIP("PORTOLAN_TEST_DOCKER_SOCK is not set: no real dockerd to test against");
    DockerClient client(realEndpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY2(result->ok(), qPrintable(result->error));

    DockerEventStream stream(realEndpoint());
    QSignalSpy openedSpy(&stream, &DockerEventStream::opened);
    QSignalSpy closedSpy(&stream, &DockerEventStream::closed);
    QList<ContainerEvent> events;
    connect(&stream, &DockerEventStream::eventReceived, this,
            [&](const ContainerEvent &e) { events.append(e); });
    stream.start(client.apiVersion());
    QTRY_COMPARE_WITH_TIMEOUT(openedSpy.size(), 1, 10000);

    // Starting a container needs an image; the harness names one that runs until stopped.
    const QString image = qEnvironmentVariable("PORTOLAN_TEST_DOCKER_IMAGE");
    const QString docker = QStandardPaths::findExecutable(QStringLiteral("docker"));
    if (image.isEmpty() || docker.isEmpty())
        QSKIP("stream opened; set PORTOLAN_TEST_DOCKER_IMAGE (and have the docker CLI) to also "
              "check start/die events");
    const QStringList host{QStringLiteral("-H"),
                           QStringLiteral("unix://") + realEndpoint().socketPath};
    QProcess run;
    run.start(docker, host + QStringList{QStringLiteral("run"), QStringLiteral("-d"), image});
    QVERIFY(run.waitForFinished(30000));
    const QString id = QString::fromLatin1(run.readAllStandardOutput()).trimmed();
    QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
    QProcess rm;
    rm.start(docker, host + QStringList{QStringLiteral("rm"), QStringLiteral("-f"), id});
    QVERIFY(rm.waitForFinished(30000));
    auto seen = [&](const char *action) {
        for (const ContainerEvent &e : events)
            if (e.action == QLatin1String(action) && e.containerId == id)
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(seen("start") && seen("die"), 10000);
    QCOMPARE(closedSpy.size(), 0);
}

QTEST_GUILESS_MAIN(TestDockerEventStream)
#include "tst_dockereventstream.moc"
