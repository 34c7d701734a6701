// HttpRequestParser's reading of a parsed head: header lookup and tokens, keep-alive, the
// WebSocket upgrade, and the path and query of the target.

#include "http/HttpRequestParser.h"

#include <QTest>

class TestHttpRequestParserHeaders : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void headerLookup();
    void headerHasToken_data();
    void headerHasToken();
    void keepAlive_data();
    void keepAlive();
    void webSocketUpgrade_data();
    void webSocketUpgrade();
    void pathAndQuery_data();
    void pathAndQuery();
};

void TestHttpRequestParserHeaders::headerLookup()
{
    HttpRequestParser p;
    p.feed("GET / HTTP/1.1\r\nHost: a\r\nX-Multi: one\r\nEmpty:\r\nx-multi:  two \r\n\r\n");
    QVERIFY(p.isComplete());
    QCOMPARE(p.header("host"), "a");
    QCOMPARE(p.header("X-MULTI"), "one");
    QCOMPARE(p.headerValues("x-multi"), QList<QByteArray>({"one", "two"}));
    QVERIFY(p.hasHeader("empty"));
    QVERIFY(!p.header("empty").isNull());
    QVERIFY(p.header("empty").isEmpty());
    QVERIFY(!p.hasHeader("missing"));
    QVERIFY(p.header("missing").isNull());
    QCOMPARE(p.headers().at(2).first, "Empty"); // names as received
    QVERIFY(!p.hasTransferEncoding());
}

void TestHttpRequestParserHeaders::headerHasToken_data()
{
    QTest::addColumn<QByteArray>("fields");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("has");
    QTest::newRow("single") << QByteArray("Connection: close\r\n") << QByteArray("close") << true;
    QTest::newRow("case") << QByteArray("Connection: CLOSE\r\n") << QByteArray("Close") << true;
    QTest::newRow("list") << QByteArray("Connection: keep-alive, Upgrade\r\n")
                          << QByteArray("upgrade") << true;
    QTest::newRow("list with ows")
        << QByteArray("Connection: a ,\tupgrade\t, b\r\n") << QByteArray("upgrade") << true;
    QTest::newRow("second field") << QByteArray("Connection: a\r\nConnection: upgrade\r\n")
                                  << QByteArray("upgrade") << true;
    QTest::newRow("substring") << QByteArray("Connection: upgraded\r\n") << QByteArray("upgrade")
                               << false;
    QTest::newRow("inner space") << QByteArray("Connection: up grade\r\n") << QByteArray("upgrade")
                                 << false;
    QTest::newRow("empty elements")
        << QByteArray("Connection: ,,close,\r\n") << QByteArray("close") << true;
    QTest::newRow("absent") << QByteArray("Other: close\r\n") << QByteArray("close") << false;
}

void TestHttpRequestParserHeaders::headerHasToken()
{
    QFETCH(QByteArray, fields);
    QFETCH(QByteArray, token);
    QFETCH(bool, has);
    HttpRequestParser p;
    p.feed("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n");
    QVERIFY2(p.isComplete(), qPrintable(p.errorString()));
    QCOMPARE(p.headerHasToken("connection", token), has);
}

void TestHttpRequestParserHeaders::keepAlive_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<bool>("keepAlive");
    QTest::newRow("1.1") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r\n") << true;
    QTest::newRow("1.1 close") << QByteArray(
                                      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n")
                               << false;
    QTest::newRow("1.1 close in a list")
        << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n") << false;
    QTest::newRow("1.1 keep-alive")
        << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n") << true;
    QTest::newRow("1.0") << QByteArray("GET / HTTP/1.0\r\n\r\n") << false;
    QTest::newRow("1.0 keep-alive")
        << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") << false;
}

void TestHttpRequestParserHeaders::keepAlive()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, keepAlive);
    HttpRequestParser p;
    p.feed(raw);
    QVERIFY(p.isComplete());
    QCOMPARE(p.keepAlive(), keepAlive);
}

void TestHttpRequestParserHeaders::webSocketUpgrade_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<bool>("upgrade");
    const QByteArray ws = "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    QTest::newRow("browser")
        << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                      "Upgrade: websocket\r\n\r\n")
        << true;
    QTest::newRow("case") << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nupgrade: WebSocket\r\n"
                                        "connection: UPGRADE\r\n\r\n")
                          << true;
    QTest::newRow("upgrade list") << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\n"
                                                "Upgrade: foo/2, websocket\r\n"
                                                "Connection: upgrade\r\n\r\n")
                                  << true;
    QTest::newRow("head") << "HEAD /ws HTTP/1.1\r\nHost: a\r\n" + ws << false;
    QTest::newRow("post") << "POST /ws HTTP/1.1\r\nHost: a\r\n" + ws << false;
    QTest::newRow("no connection")
        << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n") << false;
    QTest::newRow("no upgrade") << QByteArray(
                                       "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n")
                                << false;
    QTest::newRow("other protocol")
        << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n")
        << false;
    QTest::newRow("websocket with a version")
        << QByteArray("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket/13\r\n"
                      "Connection: upgrade\r\n\r\n")
        << false;
}

void TestHttpRequestParserHeaders::webSocketUpgrade()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, upgrade);
    HttpRequestParser p;
    p.feed(raw);
    QVERIFY(p.isComplete());
    QCOMPARE(p.isWebSocketUpgrade(), upgrade);
}

void TestHttpRequestParserHeaders::pathAndQuery_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::newRow("root") << QByteArray("/") << QByteArray("/") << QByteArray();
    QTest::newRow("query") << QByteArray("/api/v1/tree?prefix=%2F&token=t")
                           << QByteArray("/api/v1/tree") << QByteArray("prefix=%2F&token=t");
    QTest::newRow("empty query") << QByteArray("/a?") << QByteArray("/a") << QByteArray();
    QTest::newRow("second ?") << QByteArray("/a?b?c") << QByteArray("/a") << QByteArray("b?c");
    QTest::newRow("encoded") << QByteArray("/%3F?x") << QByteArray("/%3F") << QByteArray("x");
}

void TestHttpRequestParserHeaders::pathAndQuery()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    HttpRequestParser p;
    p.feed("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(p.isComplete());
    QCOMPARE(p.target(), target);
    QCOMPARE(p.path(), path);
    QCOMPARE(p.query(), query);
}

QTEST_GUILESS_MAIN(TestHttpRequestParserHeaders)
#include "tst_httprequestparser_headers.moc"
