// HttpResponseParser after the head: header lookup, the body delivered per chunk and to the
// callback, bytes after a complete response, and reuse after reset().

#include "HttpResponseParserTestSupport.h"

#include <QTest>

class TestHttpResponseParserBody : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void headerLookupIsCaseInsensitive();
    void bodyIsDeliveredPerChunk();
    void bodyCallbackSeesEveryByte();
    void bytesAfterCompleteAreAnError();
    void resetAllowsReuse();
};

void TestHttpResponseParserBody::headerLookupIsCaseInsensitive()
{
    HttpResponseParser p;
    QVERIFY(p.feed(fixture("ping_response.http")));
    QCOMPARE(p.header("api-version"), QByteArray("1.41"));
    QCOMPARE(p.header("API-VERSION"), QByteArray("1.41"));
    QVERIFY(p.header("X-Missing").isNull());
    QVERIFY(!p.hasHeader("X-Missing"));
    QCOMPARE(p.reasonPhrase(), QByteArray("OK"));
    QCOMPARE(p.httpMinorVersion(), 1);

    HttpResponseParser q;
    QVERIFY(q.feed(QByteArray("HTTP/1.1 200 OK\r\nVia: a\r\nvia: b\r\nEmpty:\r\n"
                              "Content-Length: 0\r\n\r\n")));
    QCOMPARE(q.headerValues("VIA"), (QList<QByteArray>{"a", "b"}));
    QVERIFY(q.hasHeader("empty"));
    QCOMPARE(q.header("empty"), QByteArray(""));
}

void TestHttpResponseParserBody::bodyIsDeliveredPerChunk()
{
    // The real /events stream: each event can be taken as soon as its chunk has arrived.
    const QByteArray raw = fixture("events_stream_cut.http");
    const qsizetype bodyStart = raw.indexOf("\r\n\r\n") + 4;
    HttpLimits l;
    l.maxBodyBytes = -1;
    HttpResponseParser p(l);
    QVERIFY(p.feed(QByteArrayView(raw).first(bodyStart)));
    QVERIFY(p.headersDone());
    QCOMPARE(p.bodyKind(), HttpResponseParser::BodyKind::Chunked);
    QCOMPARE(p.takeBody(), QByteArray());
    int events = 0;
    QByteArray all;
    for (qsizetype i = bodyStart; i < raw.size(); ++i) {
        QVERIFY(p.feed(QByteArrayView(raw).sliced(i, 1)));
        const QByteArray b = p.takeBody();
        all += b;
        if (b.endsWith('\n'))
            ++events;
    }
    QVERIFY(events >= 2);
    QCOMPARE(all.count('\n'), events);
    QVERIFY(!p.isComplete());
}

void TestHttpResponseParserBody::bodyCallbackSeesEveryByte()
{
    HttpResponseParser p;
    QByteArray seen;
    int calls = 0;
    p.setBodyCallback([&](QByteArrayView b) {
        seen += b;
        ++calls;
    });
    const QByteArray raw = chunked({"first\n", "second\n", "third\n"});
    feedAll(p, raw, 3);
    QVERIFY(p.isComplete());
    QCOMPARE(seen, QByteArray("first\nsecond\nthird\n"));
    QVERIFY(calls >= 3);
    QCOMPARE(p.bufferedBodyBytes(), 0);
}

void TestHttpResponseParserBody::bytesAfterCompleteAreAnError()
{
    HttpResponseParser p;
    QVERIFY(p.feed(QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")));
    QVERIFY(p.isComplete());
    QVERIFY(!p.feed(QByteArray("\r\n")));
    QVERIFY(p.errorString().contains("after the end"));
}

void TestHttpResponseParserBody::resetAllowsReuse()
{
    HttpResponseParser p;
    QVERIFY(!p.feed(QByteArray("garbage\r\n")));
    p.reset();
    QVERIFY(!p.hasError());
    QVERIFY(p.feed(fixture("ping_response.http")));
    QVERIFY(p.isComplete());
    QCOMPARE(p.takeBody(), QByteArray("OK"));
}

QTEST_GUILESS_MAIN(TestHttpResponseParserBody)
#include "tst_httpresponseparser_body.moc"
