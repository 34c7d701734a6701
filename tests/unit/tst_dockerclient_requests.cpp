// DockerClient's requests against FakeDockerDaemon and, when PORTOLAN_TEST_DOCKER_SOCK is set, a
// real dockerd: the version prefix, kept-alive connections, 404s, and callbacks whose context
// or client is gone.
#include "DockerClientTestSupport.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

static const QByteArray PingReply =
    "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK";

class TestDockerClientRequests : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void requestsNegotiateFirstAndUseVersionPrefix();
    void inspectNotFound();
    void inspectsShareAKeptAliveConnection();
    void closedIdleConnectionIsReplaced();
    void callbackNotCalledAfterContextDestroyed();
    void clientDestroyedWithRequestInFlight();
    void realDaemon();
};

void TestDockerClientRequests::requestsNegotiateFirstAndUseVersionPrefix()
{
    FakeDockerDaemon daemon;
    const QByteArray list = "[{\"Id\":\"abc\",\"Names\":[\"/redis.1\"]}]";
    daemon.script({{{"HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Length: 2\r\n\r\nOK"}},
                   {{response(200, "OK", list)}},
                   {{response(200, "OK", fixture("version.json"))}}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.listContainers(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error));
    QCOMPARE(result->json.array().size(), 1);
    QCOMPARE(client.apiVersion(), QStringLiteral("v1.43"));
    QCOMPARE(daemon.requests.size(), 2);
    QVERIFY(daemon.requests[1].startsWith("GET /v1.43/containers/json HTTP/1.1\r\n"));

    result.reset();
    client.version(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->ok());
    QCOMPARE(result->json.object().value("ApiVersion").toString(), QStringLiteral("1.41"));
    QCOMPARE(daemon.connections, 3); // one connection per request
}

void TestDockerClientRequests::inspectsShareAKeptAliveConnection()
{
    FakeDockerDaemon daemon;
    daemon.script({{{PingReply}, 0, true}, {{response(200, "OK", "{\"Id\":\"abc\"}")}, 0, true}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->ok());
    for (int i = 0; i < 3; ++i) {
        result.reset();
        client.inspectContainer(QStringLiteral("c%1").arg(i), this,
                                [&](const DockerResult &r) { result = r; });
        QTRY_VERIFY(result.has_value());
        QVERIFY2(result->ok(), qPrintable(result->error));
        QCOMPARE(result->json.object().value("Id").toString(), QStringLiteral("abc"));
    }
    QCOMPARE(daemon.requests.size(), 4);
    QVERIFY(daemon.requests[0].contains("Connection: close")); // the ping has its own
    QVERIFY(daemon.requests[3].startsWith("GET /v1.41/containers/c2/json HTTP/1.1\r\n"));
    QVERIFY(!daemon.requests[3].contains("Connection: close"));
    QCOMPARE(daemon.connections, 2); // the ping's, and one for the three inspects
}

void TestDockerClientRequests::closedIdleConnectionIsReplaced()
{
    FakeDockerDaemon daemon;
    daemon.script({{{PingReply}, 0, true}, {{response(200, "OK", "{\"Id\":\"abc\"}")}, 0, true}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    result.reset();
    client.inspectContainer(QStringLiteral("c1"), this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->ok());
    // The daemon closes the idle connection, and the next inspect goes out before the client
    // has noticed: it must be sent again on a new connection, not fail.
    daemon.closeAll();
    result.reset();
    client.inspectContainer(QStringLiteral("c2"), this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error));
    QCOMPARE(daemon.connections, 3);
    QVERIFY(daemon.requests.last().startsWith("GET /v1.41/containers/c2/json HTTP/1.1\r\n"));

    // Once the client has seen the close, the connection is simply not reused.
    daemon.closeAll();
    QTest::qWait(50);
    result.reset();
    client.inspectContainer(QStringLiteral("c3"), this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error));
    QCOMPARE(daemon.connections, 4);
}

void TestDockerClientRequests::inspectNotFound()
{
    FakeDockerDaemon daemon;
    daemon.script({{{fixture("ping_response.http")}}, {{fixture("inspect_404_response.http")}}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.inspectContainer(QStringLiteral("does not/exist"), this,
                            [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->notFound());
    QVERIFY(!result->ok());
    QVERIFY2(result->error.contains(QStringLiteral("answered 404 Not Found to GET "
                                                   "/v1.41/containers/does%20not%2Fexist/json: "
                                                   "No such container: doesnotexist")),
             qPrintable(result->error));
}

void TestDockerClientRequests::callbackNotCalledAfterContextDestroyed()
{
    FakeDockerDaemon daemon;
    daemon.script({{{fixture("ping_response.http")}, 200}});
    DockerClient client(daemon.endpoint());
    auto *context = new QObject;
    bool called = false;
    bool otherCalled = false;
    client.ping(context, [&](const DockerResult &) { called = true; });
    client.ping(this, [&](const DockerResult &) { otherCalled = true; });
    delete context;
    QTRY_VERIFY(otherCalled);
    QTest::qWait(100);
    QVERIFY(!called);
    QCOMPARE(client.apiVersion(), QStringLiteral("v1.41")); // negotiation still counts

    // The same while negotiation runs first: the follow-up request must not call back either.
    FakeDockerDaemon slow; // answers the ping at once and the list only after 300 ms
    slow.script(
        {{{fixture("ping_response.http")}}, {{QByteArray(), response(200, "OK", "[]")}, 300}});
    DockerClient fresh(slow.endpoint());
    context = new QObject;
    fresh.listContainers(context, [&](const DockerResult &) { called = true; });
    QTimer::singleShot(50, context, [context] { delete context; });
    QTRY_VERIFY(!fresh.apiVersion().isEmpty());
    QTRY_COMPARE(slow.requests.size(), 2);
    QTest::qWait(500);
    QVERIFY(!called);
}

void TestDockerClientRequests::clientDestroyedWithRequestInFlight()
{
    FakeDockerDaemon daemon;
    daemon.script({{{fixture("ping_response.http")}, 0, false}});
    auto *client = new DockerClient(daemon.endpoint());
    bool called = false;
    client->ping(this, [&](const DockerResult &) { called = true; });
    delete client;
    QTest::qWait(200);
    QVERIFY(!called);
}

void TestDockerClientRequests::realDaemon()
{
    if (qEnvironmentVariableIsEmpty("PORTOLAN_TEST_DOCKER_SOCK"))
        QSKIP("PORTOLAN_TEST_DOCKER_SOCK is not set: no real dockerd to test against (the "
              "integration harness sets it to a private daemon's socket)");
    DockerClient client(realEndpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY2(result->ok(), qPrintable(result->error));
    QVERIFY(
        QRegularExpression(QStringLiteral("^v1\\.[0-9]+$")).match(client.apiVersion()).hasMatch());

    result.reset();
    client.listContainers(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY2(result->ok(), qPrintable(result->error));
    QVERIFY(result->json.isArray());

    result.reset();
    client.version(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY(result->ok());
    QVERIFY(!result->json.object().value("ApiVersion").toString().isEmpty());

    result.reset();
    client.inspectContainer(QStringLiteral("portolan-no-such-container"), this,
                            [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY(result->notFound());
    QVERIFY2(result->error.contains(QStringLiteral("No such container")),
             qPrintable(result->error));
}

QTEST_GUILESS_MAIN(TestDockerClientRequests)
#include "tst_dockerclient_requests.moc"
