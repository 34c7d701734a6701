// HttpResponseParser on whole responses fed at once and in pieces: the ones it accepts (status,
// headers, body kinds, fixtures from dockerd) and the ones it rejects, each with its error.

#include "HttpResponseParserTestSupport.h"

#include <QTest>

using State = HttpResponseParser::State;

class TestHttpResponseParserMessages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepts_data();
    void accepts();
    void rejects_data();
    void rejects();
};

void TestHttpResponseParserMessages::accepts_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<bool>("head");
    QTest::addColumn<bool>("needsClose"); // read-until-close: complete only after finish()
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("step");

    struct Case {
        const char *name;
        QByteArray raw;
        bool head;
        bool needsClose;
        int status;
        QByteArray body;
        HttpResponseParser::BodyKind kind;
    };
    using K = HttpResponseParser::BodyKind;
    const QByteArray ping = fixture("ping_response.http");
    const QByteArray notFound = fixture("inspect_404_response.http");
    const QList<Case> cases = {
        {"docker ping", ping, false, false, 200, "OK", K::ContentLength},
        {"docker 404", notFound, false, false, 404,
         "{\"message\":\"No such container: doesnotexist\"}\n", K::ContentLength},
        {"content-length 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, false, 200, "",
         K::ContentLength},
        {"chunked", chunked({"hello ", "world"}), false, false, 200, "hello world", K::Chunked},
        {"chunked with extensions and trailers",
         "HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n5;name=value ; x\r\nhello\r\n"
         "000A\r\n0123456789\r\n0;last\r\nX-Trailer: 1\r\nY: 2\r\n\r\n",
         false, false, 200, "hello0123456789", K::Chunked},
        {"chunked empty body", chunked({}), false, false, 200, "", K::Chunked},
        {"until close", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", false, true,
         200, "all of it", K::UntilClose},
        {"http/1.0 until close", "HTTP/1.0 200 OK\r\n\r\nold", false, true, 200, "old",
         K::UntilClose},
        {"204 ignores length", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false, false,
         204, "", K::None},
        {"304 ignores length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", false,
         false, 304, "", K::None},
        {"head ignores chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true,
         false, 200, "", K::None},
        {"100 continue skipped",
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
         "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
         false, false, 201, "ok", K::ContentLength},
        {"empty reason with space", "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx", false, false,
         200, "x", K::ContentLength},
        {"no reason", "HTTP/1.1 500\r\nContent-Length: 1\r\n\r\nx", false, false, 500, "x",
         K::ContentLength},
        {"http/1.9 minor", "HTTP/1.9 200 OK\r\nContent-Length: 1\r\n\r\nx", false, false, 200, "x",
         K::ContentLength},
        {"ows and empty value",
         "HTTP/1.1 200 OK\r\nA:\r\nB: \t v \t\r\nContent-Length:3\r\n\r\nabc", false, false, 200,
         "abc", K::ContentLength},
        {"obs-text in value", "HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n",
         false, false, 200, "", K::ContentLength},
        {"binary body", QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\0\r\n\xff", 42),
         false, false, 200, QByteArray("\0\r\n\xff", 4), K::ContentLength},
    };
    for (const Case &c : cases)
        for (int step : Steps)
            QTest::addRow("%s/step %d", c.name, step)
                << c.raw << c.head << c.needsClose << c.status << c.body << int(c.kind) << step;
}

void TestHttpResponseParserMessages::accepts()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, head);
    QFETCH(bool, needsClose);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(int, step);

    HttpResponseParser p;
    p.setHeadRequest(head);
    const QByteArray got = feedAll(p, raw, step);
    QVERIFY2(!p.hasError(), qPrintable(p.errorString()));
    QVERIFY(p.statusLineDone());
    QVERIFY(p.headersDone());
    QCOMPARE(p.isComplete(), !needsClose);
    QVERIFY(p.finish());
    QVERIFY(p.isComplete());
    QCOMPARE(p.statusCode(), status);
    QCOMPARE(got + p.takeBody(), body);
    QCOMPARE(int(p.bodyKind()), kind);
    QCOMPARE(p.bodyBytesReceived(), body.size());
}

void TestHttpResponseParserMessages::rejects_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("step");
    const QByteArray ok = "HTTP/1.1 200 OK\r\n";
    const QByteArray cl = "Content-Length: 1\r\n";
    struct Case {
        const char *name;
        QByteArray raw;
        const char *error;
    };
    const QList<Case> cases = {
        {"short status code", "HTTP/1.1 20 OK\r\n\r\n", "malformed status"},
        {"letters in code", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed status code"},
        {"code too large", "HTTP/1.1 600 Huh\r\n\r\n", "out of range"},
        {"code too small", "HTTP/1.1 099 Huh\r\n\r\n", "out of range"},
        {"http/2", "HTTP/2.0 200 OK\r\n\r\n", "only HTTP/1.x"},
        {"http/2 short", "HTTP/2 200 OK\r\n\r\n", "malformed status line"},
        {"lower-case version", "http/1.1 200 OK\r\n\r\n", "malformed status line"},
        {"not http", "ICY 200 OK\r\n\r\n", "malformed status line"},
        {"no space after code", "HTTP/1.1 200OK\r\n\r\n", "malformed status line"},
        {"two spaces before code", "HTTP/1.1  200 OK\r\n\r\n", "malformed"},
        {"control char in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", "control character"},
        {"bare LF status", "HTTP/1.1 200 OK\n\r\n", "bare LF"},
        {"bare LF header", ok + "A: b\n\r\n", "bare LF"},
        {"bare LF end of headers", ok + "A: b\r\n\n", "bare LF"},
        {"stray CR in value", ok + "A: b\rc\r\n\r\n", "control character"},
        {"NUL in value", ok + QByteArray("A: b\0c\r\n\r\n", 10), "control character"},
        {"obs-fold", ok + "A: b\r\n  continued\r\n\r\n", "obsolete line folding"},
        {"space before colon", ok + "A : b\r\n\r\n", "invalid character in a header name"},
        {"empty name", ok + ": b\r\n\r\n", "without a name"},
        {"no colon", ok + "Header\r\n\r\n", "without a name"},
        {"bad name char", ok + "A(b): c\r\n\r\n", "invalid character in a header name"},
        {"duplicate content-length", ok + cl + cl + "\r\nx", "duplicate Content-Length"},
        {"conflicting content-length", ok + cl + "content-length: 2\r\n\r\nxy",
         "duplicate Content-Length"},
        {"content-length list", ok + "Content-Length: 1, 1\r\n\r\nx", "invalid Content-Length"},
        {"negative content-length", ok + "Content-Length: -1\r\n\r\n", "invalid Content-Length"},
        {"plus content-length", ok + "Content-Length: +1\r\n\r\nx", "invalid Content-Length"},
        {"empty content-length", ok + "Content-Length:\r\n\r\n", "empty Content-Length"},
        {"overflowing content-length", ok + "Content-Length: 99999999999999999999\r\n\r\n",
         "overflows"},
        {"hex content-length", ok + "Content-Length: 0x10\r\n\r\n", "invalid Content-Length"},
        {"length and chunked", ok + cl + "Transfer-Encoding: chunked\r\n\r\n",
         "both Content-Length and Transfer-Encoding"},
        {"gzip coding", ok + "Transfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer"},
        {"identity coding", ok + "Transfer-Encoding: identity\r\n\r\n", "unsupported Transfer"},
        {"duplicate transfer-encoding",
         ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
         "duplicate Transfer-Encoding"},
        {"chunked in http/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
         "HTTP/1.0"},
        {"bad chunk size", chunked({}).replace("\r\n0\r\n", "\r\nzz\r\n"), "malformed chunk size"},
        {"empty chunk size", ok + "Transfer-Encoding: chunked\r\n\r\n\r\n", "malformed chunk size"},
        {"negative chunk size", ok + "Transfer-Encoding: chunked\r\n\r\n-1\r\n",
         "malformed chunk size"},
        {"junk after chunk size", ok + "Transfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n",
         "malformed chunk size"},
        {"hex overflow", ok + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff\r\n",
         "chunk size exceeds"},
        {"chunk without CRLF", ok + "Transfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
         "not followed by CRLF"},
        {"chunk with bare LF", ok + "Transfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n",
         "not followed by CRLF"},
        {"chunk extension control char",
         ok + "Transfer-Encoding: chunked\r\n\r\n2;a=\x01\r\nab\r\n0\r\n\r\n", "control character"},
        {"obs-fold in trailer", chunked({"a"}, "T: 1\r\n folded\r\n"), "obsolete line folding"},
        {"bad trailer name", chunked({"a"}, "T@: 1\r\n"), "invalid character in a trailer name"},
        {"upgrade", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", "protocol upgrade"},
        {"too many interim", QByteArray("HTTP/1.1 100 Continue\r\n\r\n").repeated(9), "interim"},
        {"bytes after content-length body", ok + cl + "\r\nxy", "after the end of the response"},
        {"bytes after last chunk", chunked({"a"}) + "GET", "after the end of the response"},
    };
    for (const Case &c : cases)
        for (int step : Steps)
            QTest::addRow("%s/step %d", c.name, step)
                << c.raw << QString::fromLatin1(c.error) << step;
}

void TestHttpResponseParserMessages::rejects()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, error);
    QFETCH(int, step);
    HttpResponseParser p;
    feedAll(p, raw, step);
    QVERIFY2(p.hasError(), qPrintable(QStringLiteral("accepted; state %1").arg(int(p.state()))));
    QVERIFY2(p.errorString().contains(error), qPrintable(p.errorString()));
    QCOMPARE(p.state(), State::Error);
    QVERIFY(!p.feed(QByteArray("more")));
    QVERIFY(!p.finish());
    QVERIFY(p.errorString().contains(error));
}

QTEST_GUILESS_MAIN(TestHttpResponseParserMessages)
#include "tst_httpresponseparser_messages.moc"
