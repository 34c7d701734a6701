// HttpRequestParser on what a request head may and may not be: accepted heads, rejected ones
// with their status and error, each fed whole and in pieces; where it stops and what it takes
// after an error or a complete head.

#include "HttpRequestParserTestSupport.h"

#include <QTest>

using State = HttpRequestParser::State;

namespace {
const int Steps[] = {0, 1, 2, 7};
} // namespace

class TestHttpRequestParserSyntax : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepts_data();
    void accepts();
    void rejects_data();
    void rejects();
    void stopsAtTheBlankLine();
    void takesNothingAfterErrorOrComplete();
    void hasStarted();
};

void TestHttpRequestParserSyntax::accepts_data()
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

void TestHttpRequestParserSyntax::accepts()
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

void TestHttpRequestParserSyntax::rejects_data()
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

void TestHttpRequestParserSyntax::rejects()
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

void TestHttpRequestParserSyntax::stopsAtTheBlankLine()
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

void TestHttpRequestParserSyntax::takesNothingAfterErrorOrComplete()
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

void TestHttpRequestParserSyntax::hasStarted()
{
    HttpRequestParser p;
    QVERIFY(!p.hasStarted());
    QCOMPARE(p.feed(""), 0);
    QVERIFY(!p.hasStarted());
    QCOMPARE(p.feed("G"), 1);
    QVERIFY(p.hasStarted());
    QCOMPARE(p.state(), State::RequestLine);
}

QTEST_GUILESS_MAIN(TestHttpRequestParserSyntax)
#include "tst_httprequestparser_syntax.moc"
