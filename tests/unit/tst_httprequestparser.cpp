#include "http/HttpRequestParser.h"

#include <QTest>

using State = HttpRequestParser::State;
Q_DECLARE_METATYPE(HttpRequestLimits)

namespace {

// Feeds `raw` in pieces of `step` bytes (0: all at once) until the parser stops taking bytes,
// and returns how many it took.
qsizetype feedAll(HttpRequestParser &p, QByteArrayView raw, int step)
{
    if (step <= 0)
        return p.feed(raw);
    qsizetype taken = 0;
    for (qsizetype i = 0; i < raw.size(); i += step) {
        const qsizetype n = qMin<qsizetype>(step, raw.size() - i);
        const qsizetype got = p.feed(raw.sliced(i, n));
        taken += got;
        if (got < n || p.isComplete() || p.hasError())
            break;
    }
    return taken;
}

const int Steps[] = {0, 1, 2, 7};

QByteArray requestLineOf(qsizetype size)
{
    const QByteArray version = " HTTP/1.1";
    return "GET /" + QByteArray(size - 5 - version.size(), 'a') + version;
}

QByteArray fieldLineOf(qsizetype size)
{
    return "X: " + QByteArray(size - 3, 'v');
}

// A complete head of exactly `size` bytes, CRLFs and the blank line included.
QByteArray headOf(qsizetype size)
{
    QByteArray head = "GET / HTTP/1.1\r\nHost: h\r\n";
    qsizetype left = size - head.size() - 2;
    while (left > 0) {
        const qsizetype line = qMin<qsizetype>(left - 2, 8000);
        head += fieldLineOf(qMax<qsizetype>(line, 4)) + "\r\n";
        left = size - head.size() - 2;
    }
    Q_ASSERT(left == 0);
    return head + "\r\n";
}

QByteArray withFields(int count)
{
    QByteArray head = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 1; i < count; ++i)
        head += "X-" + QByteArray::number(i) + ": " + QByteArray::number(i) + "\r\n";
    return head + "\r\n";
}

} // namespace

class TestHttpRequestParser : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepts_data();
    void accepts();
    void rejects_data();
    void rejects();
    void limits_data();
    void limits();
    void limitsSeenBeforeTheLineEnds_data();
    void limitsSeenBeforeTheLineEnds();
    void byteAtATimeEqualsOneShot_data();
    void byteAtATimeEqualsOneShot();
    void stopsAtTheBlankLine();
    void takesNothingAfterErrorOrComplete();
    void hasStarted();
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

void TestHttpRequestParser::accepts_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("minor");
    QTest::addColumn<int>("fields");
    QTest::addColumn<qint64>("contentLength");
    QTest::addColumn<bool>("hasBody");
    QTest::addColumn<int>("step");
    struct Case {
        const char *name;
        QByteArray raw;
        QByteArray method;
        QByteArray target;
        int minor;
        int fields;
        qint64 contentLength;
        bool hasBody;
    };
    const QList<Case> cases = {
        {"plain get", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "GET", "/", 1, 1, -1,
         false},
        {"head with query", "HEAD /api/v1/tree?prefix=%2F HTTP/1.1\r\nHost: a\r\n\r\n", "HEAD",
         "/api/v1/tree?prefix=%2F", 1, 1, -1, false},
        {"http/1.0 without host", "GET /x HTTP/1.0\r\n\r\n", "GET", "/x", 0, 0, -1, false},
        {"http/1.0 with host", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", "GET", "/", 0, 1, -1, false},
        {"token method", "M-SEARCH!~ / HTTP/1.1\r\nHost: a\r\n\r\n", "M-SEARCH!~", "/", 1, 1, -1,
         false},
        {"lower-case method is a token", "get / HTTP/1.1\r\nHost: a\r\n\r\n", "get", "/", 1, 1, -1,
         false},
        {"printable target", "GET /a-z_~!$&'()*+,;=:@%20/?q=[]{}|\\^` HTTP/1.1\r\nHost: a\r\n\r\n",
         "GET", "/a-z_~!$&'()*+,;=:@%20/?q=[]{}|\\^`", 1, 1, -1, false},
        {"content-length 0", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST", "/",
         1, 2, 0, false},
        {"content-length with ows", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t12 \r\n\r\n",
         "POST", "/", 1, 2, 12, true},
        {"content-length leading zeros",
         "POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 007\r\n\r\n", "POST", "/", 1, 2, 7, true},
        {"content-length 19 digits",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", "POST", "/",
         1, 2, Q_INT64_C(9223372036854775807), true},
        {"transfer-encoding is left to the server",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "POST", "/", 1, 2, -1,
         true},
        {"empty values and ows", "GET / HTTP/1.1\r\nhost:a\r\nA:\r\nB: \t\r\nC:\t v \t\r\n\r\n",
         "GET", "/", 1, 4, -1, false},
        {"obs-text in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9 \xff\r\n\r\n", "GET",
         "/", 1, 2, -1, false},
        {"inner whitespace in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a \t b\r\n\r\n", "GET",
         "/", 1, 2, -1, false},
    };
    for (const Case &c : cases)
        for (int step : Steps)
            QTest::addRow("%s/step %d", c.name, step)
                << c.raw << c.method << c.target << c.minor << c.fields << c.contentLength
                << c.hasBody << step;
}

void TestHttpRequestParser::accepts()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, minor);
    QFETCH(int, fields);
    QFETCH(qint64, contentLength);
    QFETCH(bool, hasBody);
    QFETCH(int, step);

    HttpRequestParser p;
    const QByteArray next = "GET /next HTTP/1.1\r\n"; // a pipelined request stays unread
    const qsizetype taken = feedAll(p, raw + next, step);
    QVERIFY2(!p.hasError(), qPrintable(p.errorString()));
    QVERIFY(p.isComplete());
    QCOMPARE(p.state(), State::Complete);
    QCOMPARE(taken, raw.size());
    QCOMPARE(p.errorStatus(), 0);
    QCOMPARE(p.method(), method);
    QCOMPARE(p.target(), target);
    QCOMPARE(p.httpMinorVersion(), minor);
    QCOMPARE(p.headers().size(), fields);
    QCOMPARE(p.contentLength(), contentLength);
    QCOMPARE(p.hasBody(), hasBody);
}

void TestHttpRequestParser::rejects_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("step");
    const QByteArray get = "GET / HTTP/1.1\r\n";
    const QByteArray host = "Host: a\r\n";
    struct Case {
        const char *name;
        QByteArray raw;
        int status;
        const char *error;
    };
    const QList<Case> cases = {
        // Request line.
        {"leading empty line", "\r\n" + get + host + "\r\n", 400, "starts with an empty line"},
        {"leading bare LF", "\n" + get + host + "\r\n", 400, "bare LF"},
        {"bare LF after request line", "GET / HTTP/1.1\n" + host + "\r\n", 400, "bare LF"},
        {"two spaces after method", "GET  / HTTP/1.1\r\n" + host + "\r\n", 400, "start with '/'"},
        {"two spaces before version", "GET /  HTTP/1.1\r\n" + host + "\r\n", 400,
         "does not end in"},
        {"trailing space", "GET / HTTP/1.1 \r\n" + host + "\r\n", 400, "does not end in"},
        {"tab separator", "GET\t/ HTTP/1.1\r\n" + host + "\r\n", 400, "not \"METHOD"},
        {"no version", "GET /\r\n" + host + "\r\n", 400, "not \"METHOD"},
        {"only a method", "GET\r\n\r\n", 400, "not \"METHOD"},
        {"empty method", " / HTTP/1.1\r\n" + host + "\r\n", 400, "method is not a token"},
        {"method with a separator", "G(T / HTTP/1.1\r\n" + host + "\r\n", 400,
         "method is not a token"},
        {"method with obs-text", "G\xc3\x89T / HTTP/1.1\r\n" + host + "\r\n", 400,
         "method is not a token"},
        {"asterisk form", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 400, "start with '/'"},
        {"absolute form", "GET http://a/ HTTP/1.1\r\n" + host + "\r\n", 400, "start with '/'"},
        {"authority form", "CONNECT a:443 HTTP/1.1\r\n" + host + "\r\n", 400, "start with '/'"},
        {"fragment", "GET /a#b HTTP/1.1\r\n" + host + "\r\n", 400, "'#'"},
        {"utf-8 in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" + host + "\r\n", 400, "outside ASCII"},
        {"DEL in target", "GET /a\x7f HTTP/1.1\r\n" + host + "\r\n", 400, "control character"},
        {"tab in target", "GET /a\tb HTTP/1.1\r\n" + host + "\r\n", 400, "control character"},
        {"CR in target", "GET /a\rb HTTP/1.1\r\n" + host + "\r\n", 400, "control character"},
        {"NUL in target", QByteArray("GET /a\0 HTTP/1.1\r\n", 18) + host + "\r\n", 400,
         "control character"},
        {"http/2.0", "GET / HTTP/2.0\r\n" + host + "\r\n", 505, "HTTP version 2.0"},
        {"http/1.2", "GET / HTTP/1.2\r\n" + host + "\r\n", 505, "HTTP version 1.2"},
        {"http/0.9", "GET / HTTP/0.9\r\n\r\n", 505, "only 1.0 and 1.1"},
        {"http/2", "GET / HTTP/2\r\n" + host + "\r\n", 400, "does not end in"},
        {"http/11.1", "GET / HTTP/11.1\r\n" + host + "\r\n", 400, "does not end in"},
        {"lower-case version", "GET / http/1.1\r\n" + host + "\r\n", 400, "does not end in"},
        {"garbage version", "GET / FOO\r\n" + host + "\r\n", 400, "does not end in"},
        {"CR before CRLF", "GET / HTTP/1.1\r\r\n" + host + "\r\n", 400, "does not end in"},
        // Field lines.
        {"bare LF after a field", get + "Host: a\n\r\n", 400, "bare LF"},
        {"bare LF blank line", get + host + "\n", 400, "bare LF"},
        {"obs-fold", get + host + "X: a\r\n b\r\n\r\n", 400, "obsolete line folding"},
        {"obs-fold with tab", get + host + "X: a\r\n\tb\r\n\r\n", 400, "obsolete line folding"},
        {"first field folded", get + " Host: a\r\n\r\n", 400, "obsolete line folding"},
        {"space before colon", get + "Host : a\r\n\r\n", 400, "header name has whitespace"},
        {"tab before colon", get + "Host\t: a\r\n\r\n", 400, "header name has whitespace"},
        {"separator in name", get + host + "X(y): a\r\n\r\n", 400, "header name has whitespace"},
        {"empty name", get + host + ": a\r\n\r\n", 400, "no name followed by a colon"},
        {"no colon", get + host + "Garbage\r\n\r\n", 400, "no name followed by a colon"},
        {"control char in value",
         get + host +
             "X: a\x01"
             "b\r\n\r\n",
         400, "value of header X has a control character"},
        {"DEL in value", get + host + "X: a\x7f\r\n\r\n", 400, "control character"},
        {"NUL in value", get + host + QByteArray("X: a\0b\r\n\r\n", 10), 400, "control character"},
        {"CR in value", get + host + "X: a\rb\r\n\r\n", 400, "control character"},
        {"lone CR line", get + host + "\rX: a\r\n\r\n", 400, "header name has whitespace"},
        // Host.
        {"http/1.1 without host", get + "\r\n", 400, "without a Host header"},
        {"http/1.1 with two hosts", get + host + "host: b\r\n\r\n", 400, "more than one Host"},
        {"http/1.0 with two hosts", "GET / HTTP/1.0\r\n" + host + host + "\r\n", 400,
         "more than one Host"},
        // Content-Length.
        {"content-length twice", get + host + "Content-Length: 1\r\nContent-Length: 1\r\n\r\n", 400,
         "more than one Content-Length"},
        {"content-length list", get + host + "Content-Length: 1,1\r\n\r\n", 400, "other than a"},
        {"content-length list with space", get + host + "Content-Length: 1, 1\r\n\r\n", 400,
         "other than a digit"},
        {"content-length with sign", get + host + "Content-Length: +1\r\n\r\n", 400,
         "other than a"},
        {"content-length negative", get + host + "Content-Length: -1\r\n\r\n", 400, "other than a"},
        {"content-length inner space", get + host + "Content-Length: 1 2\r\n\r\n", 400,
         "other than a"},
        {"content-length hex", get + host + "Content-Length: 0x10\r\n\r\n", 400, "other than a"},
        {"content-length empty", get + host + "Content-Length: \r\n\r\n", 400, "1 to 19 digits"},
        {"content-length 20 digits", get + host + "Content-Length: 00000000000000000001\r\n\r\n",
         400, "1 to 19 digits"},
        {"content-length overflow", get + host + "Content-Length: 9223372036854775808\r\n\r\n", 400,
         "too large"},
        {"content-length 19 nines", get + host + "Content-Length: 9999999999999999999\r\n\r\n", 400,
         "too large"},
    };
    for (const Case &c : cases)
        for (int step : Steps)
            QTest::addRow("%s/step %d", c.name, step)
                << c.raw << c.status << QString::fromLatin1(c.error) << step;
}

void TestHttpRequestParser::rejects()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(int, step);

    HttpRequestParser p;
    const qsizetype taken = feedAll(p, raw, step);
    QVERIFY(p.hasError());
    QCOMPARE(p.state(), State::Error);
    QVERIFY(!p.isComplete());
    QVERIFY(taken <= raw.size());
    QCOMPARE(p.errorStatus(), status);
    QVERIFY2(p.errorString().contains(error), qPrintable(p.errorString()));
}

void TestHttpRequestParser::limits_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status"); // 0: accepted
    QTest::addColumn<QString>("error");
    const QByteArray host = "Host: h\r\n";
    const HttpRequestLimits l;
    QTest::newRow("request line at the limit")
        << requestLineOf(l.maxRequestLineBytes) + "\r\n" + host + "\r\n"
        << 0 << QString();
    QTest::newRow("request line one over")
        << requestLineOf(l.maxRequestLineBytes + 1) + "\r\n" + host + "\r\n"
        << 414 << "the request line is longer than 8192 bytes";
    QTest::newRow("field line at the limit")
        << "GET / HTTP/1.1\r\n" + host + fieldLineOf(l.maxHeaderLineBytes) + "\r\n\r\n"
        << 0 << QString();
    QTest::newRow("field line one over")
        << "GET / HTTP/1.1\r\n" + host + fieldLineOf(l.maxHeaderLineBytes + 1) + "\r\n\r\n"
        << 431 << "a header line is longer than 8192 bytes";
    QTest::newRow("head at the limit") << headOf(l.maxHeaderBytes) << 0 << QString();
    QTest::newRow("head one over")
        << headOf(l.maxHeaderBytes + 1) << 431 << "the request head is larger than 16384 bytes";
    QTest::newRow("fields at the limit") << withFields(l.maxHeaderCount) << 0 << QString();
    QTest::newRow("fields one over")
        << withFields(l.maxHeaderCount + 1) << 431 << "the request has more than 64 header fields";
}

void TestHttpRequestParser::limits()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(QString, error);
    for (int step : {0, 1, 1000}) {
        HttpRequestParser p;
        const qsizetype taken = feedAll(p, raw, step);
        QCOMPARE(p.errorStatus(), status);
        QCOMPARE(p.errorString(), error);
        QCOMPARE(p.isComplete(), status == 0);
        if (status == 0)
            QCOMPARE(taken, raw.size());
    }
}

void TestHttpRequestParser::limitsSeenBeforeTheLineEnds_data()
{
    // Each head stops, in the middle of a line, at the first byte that cannot fit a limit
    // whatever follows: no CRLF ever comes.
    QTest::addColumn<QByteArray>("partial");
    QTest::addColumn<int>("status");
    const HttpRequestLimits l;
    QTest::newRow("request line")
        << requestLineOf(l.maxRequestLineBytes + 10).left(l.maxRequestLineBytes + 1) << 414;
    QTest::newRow("request line, CR and more") // the CR is not the line's end
        << requestLineOf(l.maxRequestLineBytes) + "\rX" << 414;
    QTest::newRow("field line") << "GET / HTTP/1.1\r\nHost: h\r\n" +
                                       fieldLineOf(l.maxHeaderLineBytes + 1)
                                << 431;
    QTest::newRow("head") << headOf(l.maxHeaderBytes + 100).left(l.maxHeaderBytes - 1) << 431;
    QTest::newRow("field count") << withFields(l.maxHeaderCount).chopped(2) + "X" << 431;
}

void TestHttpRequestParser::limitsSeenBeforeTheLineEnds()
{
    QFETCH(QByteArray, partial);
    QFETCH(int, status);
    for (int step : {0, 1}) {
        HttpRequestParser p;
        feedAll(p, partial, step);
        QCOMPARE(p.errorStatus(), status);
        QVERIFY(p.hasStarted());
    }
    // One byte less is still waiting: the limit is exact.
    HttpRequestParser shorter;
    QCOMPARE(shorter.feed(QByteArrayView(partial).chopped(1)), partial.size() - 1);
    QVERIFY2(!shorter.hasError(), qPrintable(shorter.errorString()));
}

void TestHttpRequestParser::byteAtATimeEqualsOneShot_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<HttpRequestLimits>("limits");
    const HttpRequestLimits normal;
    HttpRequestLimits tiny; // the head limit is reached before the line limits
    tiny.maxRequestLineBytes = 40;
    tiny.maxHeaderLineBytes = 30;
    tiny.maxHeaderBytes = 50;
    tiny.maxHeaderCount = 2;
    const QList<QByteArray> raws = {
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nrest",
        "GET /x HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nA: b\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nB: c\r\nD: e\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n",
    };
    int i = 0;
    for (const QByteArray &raw : raws) {
        QTest::addRow("normal %d", i) << raw << normal;
        QTest::addRow("tiny %d", i++) << raw << tiny;
    }
}

void TestHttpRequestParser::byteAtATimeEqualsOneShot()
{
    QFETCH(QByteArray, raw);
    QFETCH(HttpRequestLimits, limits);
    HttpRequestParser whole(limits);
    HttpRequestParser bytes(limits);
    const qsizetype wholeTaken = whole.feed(raw);
    const qsizetype bytesTaken = feedAll(bytes, raw, 1);
    QCOMPARE(bytes.state(), whole.state());
    QCOMPARE(bytes.errorStatus(), whole.errorStatus());
    QCOMPARE(bytes.errorString(), whole.errorString());
    QCOMPARE(bytes.headers(), whole.headers());
    QCOMPARE(bytes.target(), whole.target());
    if (whole.isComplete())
        QCOMPARE(bytesTaken, wholeTaken);
}

void TestHttpRequestParser::stopsAtTheBlankLine()
{
    const QByteArray first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
    const QByteArray second = "HEAD /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const QByteArray stream = first + second + "\x81\x85";
    HttpRequestParser p;
    QCOMPARE(p.feed(stream), first.size());
    QCOMPARE(p.target(), "/1");
    QCOMPARE(p.feed(QByteArrayView(stream).sliced(first.size())), 0); // complete: takes nothing
    p.reset();
    QVERIFY(!p.hasStarted());
    QCOMPARE(p.feed(QByteArrayView(stream).sliced(first.size())), second.size());
    QCOMPARE(p.method(), "HEAD");
    QCOMPARE(p.target(), "/2");
    QVERIFY(!p.keepAlive());
}

void TestHttpRequestParser::takesNothingAfterErrorOrComplete()
{
    HttpRequestParser p;
    p.feed("GET / HTTP/3.0\r\n");
    QVERIFY(p.hasError());
    const QString error = p.errorString();
    QCOMPARE(p.feed("Host: a\r\n\r\n"), 0);
    QCOMPARE(p.errorString(), error);
    QCOMPARE(p.errorStatus(), 505);
    p.reset();
    QCOMPARE(p.errorStatus(), 0);
    QVERIFY(p.errorString().isEmpty());
    QCOMPARE(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 27);
    QVERIFY(p.isComplete());
    QCOMPARE(p.feed("GET"), 0);
}

void TestHttpRequestParser::hasStarted()
{
    HttpRequestParser p;
    QVERIFY(!p.hasStarted());
    QCOMPARE(p.feed(""), 0);
    QVERIFY(!p.hasStarted());
    QCOMPARE(p.feed("G"), 1);
    QVERIFY(p.hasStarted());
    QCOMPARE(p.state(), State::RequestLine);
}

void TestHttpRequestParser::headerLookup()
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

void TestHttpRequestParser::headerHasToken_data()
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

void TestHttpRequestParser::headerHasToken()
{
    QFETCH(QByteArray, fields);
    QFETCH(QByteArray, token);
    QFETCH(bool, has);
    HttpRequestParser p;
    p.feed("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n");
    QVERIFY2(p.isComplete(), qPrintable(p.errorString()));
    QCOMPARE(p.headerHasToken("connection", token), has);
}

void TestHttpRequestParser::keepAlive_data()
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

void TestHttpRequestParser::keepAlive()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, keepAlive);
    HttpRequestParser p;
    p.feed(raw);
    QVERIFY(p.isComplete());
    QCOMPARE(p.keepAlive(), keepAlive);
}

void TestHttpRequestParser::webSocketUpgrade_data()
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

void TestHttpRequestParser::webSocketUpgrade()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, upgrade);
    HttpRequestParser p;
    p.feed(raw);
    QVERIFY(p.isComplete());
    QCOMPARE(p.isWebSocketUpgrade(), upgrade);
}

void TestHttpRequestParser::pathAndQuery_data()
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

void TestHttpRequestParser::pathAndQuery()
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

QTEST_GUILESS_MAIN(TestHttpRequestParser)
#include "tst_httprequestparser.moc"
