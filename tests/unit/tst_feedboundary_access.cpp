// Who the feed answers, over raw sockets on 127.0.0.1: Host and Origin, the request policy, refused
// requests signalled (not logged by Qt), and the token parameter matched exactly.

#include "FeedBoundaryTestSupport.h"
#include "feed/FeedRequestPolicy.h"

#include <QSignalSpy>
#include <QTest>

class TestFeedBoundaryAccess : public FeedBoundaryTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedBoundaryTestCase::init(); }
    void cleanup() { FeedBoundaryTestCase::cleanup(); }
    void hostAndOrigin_data();
    void hostAndOrigin();
    void hostPolicy_data();
    void hostPolicy();
    void refusedRequestsAreSignalledNotLoggedByQt();
    void tokenParameterIsExact_data();
    void tokenParameterIsExact();
};

void TestFeedBoundaryAccess::hostAndOrigin_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<int>("status");
    QTest::newRow("page, foreign Host") << QByteArray("Host: evil.example\r\n") << false << 403;
    QTest::newRow("api, foreign Host") << QByteArray("Host: evil.example:8080\r\n") << false << 403;
    QTest::newRow("page, allowed name")
        << QByteArray("Host: feed.example:8080\r\n") << false << 200;
    QTest::newRow("page, localhost") << QByteArray("Host: LOCALHOST:1\r\n") << false << 200;
    QTest::newRow("page, [::1]") << QByteArray("Host: [::1]:8080\r\n") << false << 200;
    QTest::newRow("ws, evil origin")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: http://evil.example\r\n") << true << 403;
    QTest::newRow("ws, null origin")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: null\r\n") << true << 403;
    QTest::newRow("ws, foreign Host") << QByteArray("Host: evil.example\r\n") << true << 403;
    QTest::newRow("ws, same origin")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n") << true << 101;
    QTest::newRow("ws, origin of an allowed name")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: https://feed.example\r\n") << true << 101;
    QTest::newRow("ws, origin on another port")
        << QByteArray("Host: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:9999\r\n") << true << 403;
}

void TestFeedBoundaryAccess::hostAndOrigin()
{
    QFETCH(QByteArray, headers);
    QFETCH(bool, upgrade);
    QFETCH(int, status);
    FeedServerOptions options;
    options.allowedHosts = {QStringLiteral("feed.example")};
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    if (upgrade) {
        client.socket.write("GET /ws HTTP/1.1\r\n" + headers +
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n");
    } else {
        client.socket.write("GET / HTTP/1.1\r\n" + headers + "\r\n");
    }
    QVERIFY(client.waitFor([&] { return client.buffer.contains("\r\n"); }));
    QCOMPARE(client.buffer.mid(9, 3).toInt(), status);
    if (status == 101)
        QTRY_COMPARE(m_server->clientCount(), 1);
    else
        QCOMPARE(m_server->clientCount(), 0);
}

void TestFeedBoundaryAccess::hostPolicy_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("IPv4") << QByteArray("10.0.0.5:8080") << true;
    QTest::newRow("IPv6") << QByteArray("[fe80::1]:8080") << true;
    QTest::newRow("bare IPv6") << QByteArray("fe80::1") << false;
    QTest::newRow("short IPv4 form") << QByteArray("127.1") << false;
    QTest::newRow("rebinding name") << QByteArray("attacker.example:8080") << false;
    QTest::newRow("allowed name") << QByteArray("Feed.Example") << true;
    QTest::newRow("suffix of allowed") << QByteArray("evilfeed.example") << false;
    QTest::newRow("empty") << QByteArray("") << false;
    QTest::newRow("absent (HTTP/1.0)") << QByteArray() << true;
}

void TestFeedBoundaryAccess::hostPolicy()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, allowed);
    QCOMPARE(FeedRequestPolicy::hostAllowed(host, {QStringLiteral("feed.example")}), allowed);
}

void TestFeedBoundaryAccess::refusedRequestsAreSignalledNotLoggedByQt()
{
    FeedServerOptions options;
    options.token = kToken;
    start(options);
    QSignalSpy refused(m_server.get(), &FeedServer::requestRefused);
    for (int i = 0; i < 20; ++i) {
        RawClient client;
        QVERIFY(client.connect(m_server->serverPort()));
        client.socket.write(
            "GET /ws?token=wrong HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
        const auto answer = client.next();
        QVERIFY(answer);
        QCOMPARE(answer->status, 401);
    }
    QCOMPARE(refused.size(), 20);
    // The reason names the fault, never the request's target or the presented token.
    for (const QList<QVariant> &args : refused)
        QVERIFY(!args.at(2).toString().contains(QLatin1String("wrong")));
}

void TestFeedBoundaryAccess::tokenParameterIsExact_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<int>("status");
    QTest::newRow("token=") << "token=" + kToken << 200;
    QTest::newRow("encoded value") << QByteArray("token=s3cret%2Dfeed-token") << 200;
    QTest::newRow("among others") << "a=1&token=" + kToken + "&b=2" << 200;
    QTest::newRow("%74oken=") << "%74oken=" + kToken << 401;
    QTest::newRow("tok%65n=") << "tok%65n=" + kToken << 401;
    QTest::newRow("token%3D") << "token%3D" + kToken << 401;
    QTest::newRow("Token=") << "Token=" + kToken << 401;
    QTest::newRow("wrong") << QByteArray("token=wrong") << 401;
}

void TestFeedBoundaryAccess::tokenParameterIsExact()
{
    QFETCH(QByteArray, query);
    QFETCH(int, status);
    FeedServerOptions options;
    options.token = kToken;
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write("GET /api/v1/hosts?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const auto answer = client.next();
    QVERIFY(answer);
    QCOMPARE(answer->status, status);
}

QTEST_GUILESS_MAIN(TestFeedBoundaryAccess)
#include "tst_feedboundary_access.moc"
