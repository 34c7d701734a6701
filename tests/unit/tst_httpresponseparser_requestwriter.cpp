// HttpRequest::serialize, the request writer used with the response parser: the bytes it writes
// and the targets, methods and headers it refuses.

#include "http/HttpRequest.h"

#include <QTest>

class TestHttpResponseParserRequestWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void requestWriter_data();
    void requestWriter();
    void requestWriterRejects_data();
    void requestWriterRejects();
};

void TestHttpResponseParserRequestWriter::requestWriter_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("ping") << QByteArray("GET") << QByteArray("/_ping") << QByteArray()
                          << QByteArray("GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Test: 1\r\n"
                                        "Connection: close\r\n\r\n");
    QTest::newRow("events")
        << QByteArray("GET") << QByteArray("/v1.41/events?filters=%7B%22type%22%7D") << QByteArray()
        << QByteArray("GET /v1.41/events?filters=%7B%22type%22%7D HTTP/1.1\r\nHost: docker\r\n"
                      "X-Test: 1\r\nConnection: close\r\n\r\n");
    QTest::newRow("post body") << QByteArray("POST") << QByteArray("/x") << QByteArray("{}")
                               << QByteArray("POST /x HTTP/1.1\r\nHost: docker\r\nX-Test: 1\r\n"
                                             "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    QTest::newRow("empty post") << QByteArray("POST") << QByteArray("/x") << QByteArray()
                                << QByteArray("POST /x HTTP/1.1\r\nHost: docker\r\nX-Test: 1\r\n"
                                              "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

void TestHttpResponseParserRequestWriter::requestWriter()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers.append({QByteArray("X-Test"), QByteArray("1")});
    QString error;
    QCOMPARE(r.serialize(&error), expected);
    QVERIFY(error.isEmpty());
}

void TestHttpResponseParserRequestWriter::requestWriterRejects_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("error");
    QTest::newRow("crlf in target") << QByteArray("GET") << QByteArray("/a\r\nX: y") << QByteArray()
                                    << QByteArray() << "request target";
    QTest::newRow("space in target") << QByteArray("GET") << QByteArray("/a b") << QByteArray()
                                     << QByteArray() << "request target";
    QTest::newRow("relative target")
        << QByteArray("GET") << QByteArray("a") << QByteArray() << QByteArray() << "request target";
    QTest::newRow("bad method") << QByteArray("G T") << QByteArray("/") << QByteArray()
                                << QByteArray() << "method";
    QTest::newRow("header injection") << QByteArray("GET") << QByteArray("/") << QByteArray("X")
                                      << QByteArray("a\r\nEvil: 1") << "header field";
    QTest::newRow("bad header name") << QByteArray("GET") << QByteArray("/") << QByteArray("X Y")
                                     << QByteArray("a") << "header field";
    QTest::newRow("reserved header")
        << QByteArray("GET") << QByteArray("/") << QByteArray("connection")
        << QByteArray("keep-alive") << "set by the request writer";
}

void TestHttpResponseParserRequestWriter::requestWriterRejects()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QFETCH(QString, error);
    HttpRequest r;
    r.method = method;
    r.target = target;
    if (!name.isEmpty())
        r.headers.append({name, value});
    QString got;
    QVERIFY(r.serialize(&got).isEmpty());
    QVERIFY2(got.contains(error), qPrintable(got));
}

QTEST_GUILESS_MAIN(TestHttpResponseParserRequestWriter)
#include "tst_httpresponseparser_requestwriter.moc"
