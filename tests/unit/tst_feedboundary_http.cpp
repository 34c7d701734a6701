// The feed's HTTP boundary over raw sockets on 127.0.0.1: limits answered before the token, the
// head deadline, request order on one connection, and framing (HEAD, Connection: close,
// HTTP/1.0, Content-Length).

#include "FeedBoundaryTestSupport.h"

#include <QTest>

class TestFeedBoundaryHttp : public FeedBoundaryTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedBoundaryTestCase::init(); }
    void cleanup() { FeedBoundaryTestCase::cleanup(); }
    void headLimitsAnswerBeforeTheToken_data();
    void headLimitsAnswerBeforeTheToken();
    void slowHeadIsCutAtTheDeadline();
    void pipelinedRequestsAreAnsweredInOrder();
    void framing_data();
    void framing();
    void headHasNoBodyAndKeepsTheConnection();
};

void TestFeedBoundaryHttp::headLimitsAnswerBeforeTheToken_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("status");
    const QByteArray host = "Host: 127.0.0.1\r\n";
    QTest::newRow("long request line")
        << "GET /api/v1/hosts?" + QByteArray(9000, 'a') + " HTTP/1.1\r\n" + host << 414;
    QTest::newRow("long header line")
        << "GET /api/v1/hosts HTTP/1.1\r\n" + host + "X-A: " + QByteArray(9000, 'a') + "\r\n"
        << 431;
    QByteArray many = "GET /api/v1/hosts HTTP/1.1\r\n" + host;
    for (int i = 0; i < 70; ++i)
        many += "X-" + QByteArray::number(i) + ": a\r\n";
    QTest::newRow("70 headers") << many << 431;
    QByteArray big = "GET /api/v1/hosts HTTP/1.1\r\n" + host;
    for (int i = 0; i < 5; ++i)
        big += "X-" + QByteArray::number(i) + ": " + QByteArray(4000, 'b') + "\r\n";
    QTest::newRow("20 KB of headers") << big << 431;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x\n") << 400;
    QTest::newRow("HTTP/2.0") << "GET / HTTP/2.0\r\n" + host << 505;
}

void TestFeedBoundaryHttp::headLimitsAnswerBeforeTheToken()
{
    QFETCH(QByteArray, head);
    QFETCH(int, status);
    FeedServerOptions options;
    options.token = kToken;
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write(head);
    const auto answer = client.next();
    QVERIFY(answer);
    QCOMPARE(answer->status, status);
    QCOMPARE(answer->headers.value("connection"), QByteArray("close"));
    QVERIFY(client.closedByPeer());
    QCOMPARE(m_server->requestsRefused(), 1);
}

void TestFeedBoundaryHttp::slowHeadIsCutAtTheDeadline()
{
    FeedServerOptions options;
    options.headDeadlineMs = 300;
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    // A byte now and then keeps the idle cut away; the deadline counts from the first byte.
    for (int i = 0; i < 3; ++i) {
        QTest::qWait(50);
        client.socket.write("X");
    }
    const auto answer = client.next(false, 3000);
    QVERIFY(answer);
    QCOMPARE(answer->status, 408);
    QVERIFY(client.closedByPeer());
}

void TestFeedBoundaryHttp::pipelinedRequestsAreAnsweredInOrder()
{
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    const QList<QByteArray> paths = {"/api/v1/hosts", "/nothing", "/api/v1/events", "/api/v1/nope",
                                     "/"};
    QByteArray all;
    for (const QByteArray &path : paths)
        all += "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    client.socket.write(all);
    const QList<int> expected = {200, 404, 200, 404, 200};
    for (int i = 0; i < paths.size(); ++i) {
        const auto answer = client.next();
        QVERIFY2(answer, paths[i].constData());
        QCOMPARE(answer->status, expected[i]);
    }
    QVERIFY(client.buffer.isEmpty());
}

void TestFeedBoundaryHttp::framing_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    const QByteArray get = "GET /api/v1/hosts HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    QTest::newRow("Connection: close") << get + "Connection: close\r\n\r\n" << 200;
    QTest::newRow("HTTP/1.0") << QByteArray("GET /api/v1/hosts HTTP/1.0\r\n\r\n") << 200;
    QTest::newRow("Content-Length twice") << get + "Content-Length: 51\r\nContent-Length: 0\r\n\r\n"
                                          << 400;
    QTest::newRow("Content-Length list") << get + "Content-Length: 0, 51\r\n\r\n" << 400;
    QTest::newRow("Content-Length +0") << get + "Content-Length: +0\r\n\r\n" << 400;
    QTest::newRow("GET with a body") << get + "Content-Length: 5\r\n\r\nhello" << 400;
    QTest::newRow("chunked GET") << get + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" << 400;
    QTest::newRow("POST") << QByteArray("POST /api/v1/hosts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Content-Length: 2\r\n\r\n{}")
                          << 405;
    QTest::newRow("no Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
}

void TestFeedBoundaryHttp::framing()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write(request);
    const auto answer = client.next();
    QVERIFY(answer);
    QCOMPARE(answer->status, status);
    // Every one of these ends the connection: by request, by version, or as a fault.
    QVERIFY(client.closedByPeer(2000));
}

void TestFeedBoundaryHttp::headHasNoBodyAndKeepsTheConnection()
{
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const auto head = client.next(true);
    QVERIFY(head);
    QCOMPARE(head->status, 200);
    QVERIFY(head->headers.value("content-length").toInt() > 0);
    client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const auto get = client.next();
    QVERIFY(get);
    QCOMPARE(get->status, 200);
    QCOMPARE(get->headers.value("content-length"), head->headers.value("content-length"));
    QCOMPARE(get->body.size(), head->headers.value("content-length").toInt());
    QVERIFY(get->body.startsWith("<!doctype html>"));
}

QTEST_GUILESS_MAIN(TestFeedBoundaryHttp)
#include "tst_feedboundary_http.moc"
