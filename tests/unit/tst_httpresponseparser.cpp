#include "http/HttpRequest.h"
#include "http/HttpResponseParser.h"

#include <QFile>
#include <QTest>

using State = HttpResponseParser::State;

namespace {

QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return f.readAll();
}

// Feeds `raw` in pieces of `step` bytes (0: all at once) and collects the body with takeBody().
QByteArray feedAll(HttpResponseParser &p, const QByteArray &raw, int step)
{
    QByteArray body;
    if (step <= 0) {
        p.feed(raw);
        return p.takeBody();
    }
    for (qsizetype i = 0; i < raw.size() && !p.hasError(); i += step) {
        p.feed(QByteArrayView(raw).sliced(i, qMin<qsizetype>(step, raw.size() - i)));
        body += p.takeBody();
    }
    return body;
}

const int Steps[] = {0, 1, 2, 7, 64};

QByteArray chunked(const QList<QByteArray> &chunks, const QByteArray &trailer = {})
{
    QByteArray out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const QByteArray &c : chunks)
        out += QByteArray::number(c.size(), 16) + "\r\n" + c + "\r\n";
    return out + "0\r\n" + trailer + "\r\n";
}

} // namespace

class TestHttpResponseParser : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepts_data();
    void accepts();
    void rejects_data();
    void rejects();
    void limits_data();
    void limits();
    void closedEarly_data();
    void closedEarly();
    void headerLookupIsCaseInsensitive();
    void bodyIsDeliveredPerChunk();
    void bodyCallbackSeesEveryByte();
    void bytesAfterCompleteAreAnError();
    void resetAllowsReuse();
    void requestWriter_data();
    void requestWriter();
    void requestWriterRejects_data();
    void requestWriterRejects();
};

void TestHttpResponseParser::accepts_data()
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

void TestHttpResponseParser::accepts()
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

void TestHttpResponseParser::rejects_data()
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

void TestHttpResponseParser::rejects()
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

void TestHttpResponseParser::limits_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("field"); // which HttpLimits member to set
    QTest::addColumn<int>("value");
    QTest::addColumn<QString>("error"); // empty: must be accepted (exactly at the limit)

    const QByteArray ok = "HTTP/1.1 200 OK\r\n";
    const QByteArray te = "Transfer-Encoding: chunked\r\n\r\n";
    const QByteArray longReason = "HTTP/1.1 200 " + QByteArray(8192 - 13, 'R') + "\r\n";
    QTest::newRow("status line at 8 KiB") << longReason + "Content-Length: 0\r\n\r\n"
                                          << "none" << 0 << "";
    QTest::newRow("status line over 8 KiB") << "HTTP/1.1 200 " + QByteArray(8192, 'R') + "\r\n\r\n"
                                            << "none" << 0 << "status line";
    QTest::newRow("status line never ends")
        << "HTTP/1.1 200 " + QByteArray(100000, 'R') << "none" << 0 << "status line is longer";
    QTest::newRow("header line at 8 KiB")
        << ok + "X: " + QByteArray(8189, 'v') + "\r\nContent-Length: 0\r\n\r\n"
        << "none" << 0 << "";
    QTest::newRow("header line over 8 KiB") << ok + "X: " + QByteArray(8190, 'v') + "\r\n\r\n"
                                            << "none" << 0 << "header line";
    QByteArray many = ok;
    for (int i = 0; i < 10; ++i)
        many += "X-" + QByteArray::number(i) + ": " + QByteArray(7000, 'v') + "\r\n";
    QTest::newRow("header section over 64 KiB") << many + "\r\n"
                                                << "none" << 0 << "header section";
    QByteArray hundred = ok;
    for (int i = 0; i < 99; ++i)
        hundred += "X: " + QByteArray::number(i) + "\r\n";
    QTest::newRow("100 headers") << hundred + "Content-Length: 0\r\n\r\n"
                                 << "none" << 0 << "";
    QTest::newRow("101 headers") << hundred + "A: 1\r\nContent-Length: 0\r\n\r\n"
                                 << "none" << 0 << "more than 100 header";
    QTest::newRow("chunk size line over limit")
        << ok + te + "1;" + QByteArray(2000, 'e') + "\r\nx\r\n0\r\n\r\n"
        << "none" << 0 << "chunk size line";
    QTest::newRow("chunk of 16 MiB") << ok + te + "1000000\r\n"
                                     << "none" << 0 << "";
    QTest::newRow("chunk over 16 MiB") << ok + te + "1000001\r\n"
                                       << "none" << 0 << "chunk size exceeds";
    QTest::newRow("chunk size limit 10")
        << chunked({"0123456789", "01234567890"}) << "maxChunkSize" << 10 << "chunk size exceeds";
    QTest::newRow("content-length over body limit") << ok + "Content-Length: 11\r\n\r\n"
                                                    << "maxBodyBytes" << 10 << "body limit";
    QTest::newRow("content-length at body limit") << ok + "Content-Length: 10\r\n\r\n0123456789"
                                                  << "maxBodyBytes" << 10 << "";
    QTest::newRow("chunked total over body limit")
        << chunked({"012345", "6789X"}) << "maxBodyBytes" << 10 << "body limit";
    QTest::newRow("until-close over body limit")
        << ok + "\r\n" + QByteArray(11, 'b') << "maxBodyBytes" << 10 << "body exceeds";
    QTest::newRow("unlimited body")
        << chunked({QByteArray(70000, 'a'), QByteArray(70000, 'b')}) << "maxBodyBytes" << -1 << "";
    QTest::newRow("trailer bytes") << chunked({"a"}, "T: " + QByteArray(100, 't') + "\r\n")
                                   << "maxTrailerBytes" << 64 << "trailer section";
    QTest::newRow("trailer count") << chunked({"a"}, "A: 1\r\nB: 2\r\nC: 3\r\n")
                                   << "maxTrailerCount" << 2 << "more than 2 trailer";
    QTest::newRow("header count 0") << ok + "A: 1\r\n\r\n"
                                    << "maxHeaderCount" << 0 << "more than 0 header";
}

void TestHttpResponseParser::limits()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, field);
    QFETCH(int, value);
    QFETCH(QString, error);
    HttpLimits l;
    if (field == QLatin1String("maxChunkSize"))
        l.maxChunkSize = value;
    else if (field == QLatin1String("maxBodyBytes"))
        l.maxBodyBytes = value;
    else if (field == QLatin1String("maxTrailerBytes"))
        l.maxTrailerBytes = value;
    else if (field == QLatin1String("maxTrailerCount"))
        l.maxTrailerCount = value;
    else if (field == QLatin1String("maxHeaderCount"))
        l.maxHeaderCount = value;
    for (int step : {0, 1, 4096}) {
        HttpResponseParser p(l);
        feedAll(p, raw, step);
        // Memory held for a partial line never exceeds the longest line limit.
        QVERIFY(p.pendingLineBytes() <= 8 * 1024 + 1);
        if (error.isEmpty()) {
            QVERIFY2(!p.hasError(), qPrintable(p.errorString()));
        } else {
            QVERIFY2(p.hasError(), qPrintable(QStringLiteral("step %1 accepted").arg(step)));
            QVERIFY2(p.errorString().contains(error), qPrintable(p.errorString()));
        }
    }
}

void TestHttpResponseParser::closedEarly_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("error");
    const QByteArray ok = "HTTP/1.1 200 OK\r\n";
    QTest::newRow("nothing") << QByteArray() << "before any response";
    QTest::newRow("in status line") << QByteArray("HTTP/1.1 2") << "status line";
    QTest::newRow("in headers") << ok + "A: b\r\n"
                                << "end of the headers";
    QTest::newRow("in content-length body") << ok + "Content-Length: 10\r\n\r\n01234"
                                            << "after 5 of 10 body bytes";
    QTest::newRow("in chunk") << ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nab"
                              << "before the last chunk";
    QTest::newRow("docker shutdown cuts events")
        << fixture("events_stream_cut.http") << "before the last chunk";
    QTest::newRow("in trailers") << chunked({"a"}).chopped(2) + "T: 1\r\n"
                                 << "trailer";
}

void TestHttpResponseParser::closedEarly()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, error);
    HttpResponseParser p;
    QVERIFY(p.feed(raw));
    QVERIFY(!p.finish());
    QVERIFY2(p.errorString().contains(error), qPrintable(p.errorString()));
}

void TestHttpResponseParser::headerLookupIsCaseInsensitive()
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

void TestHttpResponseParser::bodyIsDeliveredPerChunk()
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

void TestHttpResponseParser::bodyCallbackSeesEveryByte()
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

void TestHttpResponseParser::bytesAfterCompleteAreAnError()
{
    HttpResponseParser p;
    QVERIFY(p.feed(QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")));
    QVERIFY(p.isComplete());
    QVERIFY(!p.feed(QByteArray("\r\n")));
    QVERIFY(p.errorString().contains("after the end"));
}

void TestHttpResponseParser::resetAllowsReuse()
{
    HttpResponseParser p;
    QVERIFY(!p.feed(QByteArray("garbage\r\n")));
    p.reset();
    QVERIFY(!p.hasError());
    QVERIFY(p.feed(fixture("ping_response.http")));
    QVERIFY(p.isComplete());
    QCOMPARE(p.takeBody(), QByteArray("OK"));
}

void TestHttpResponseParser::requestWriter_data()
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

void TestHttpResponseParser::requestWriter()
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

void TestHttpResponseParser::requestWriterRejects_data()
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

void TestHttpResponseParser::requestWriterRejects()
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

QTEST_GUILESS_MAIN(TestHttpResponseParser)
#include "tst_httpresponseparser.moc"
