// HttpRequestParser's limits (request line, header line, head size, field count), also when
// they are passed before a line ends, and the same outcome fed a byte at a time as at once.

#include "HttpRequestParserTestSupport.h"

#include <QTest>

Q_DECLARE_METATYPE(HttpRequestLimits)

namespace {

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

class TestHttpRequestParserLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void limits_data();
    void limits();
    void limitsSeenBeforeTheLineEnds_data();
    void limitsSeenBeforeTheLineEnds();
    void byteAtATimeEqualsOneShot_data();
    void byteAtATimeEqualsOneShot();
};

void TestHttpRequestParserLimits::limits_data()
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

void TestHttpRequestParserLimits::limits()
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

void TestHttpRequestParserLimits::limitsSeenBeforeTheLineEnds_data()
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

void TestHttpRequestParserLimits::limitsSeenBeforeTheLineEnds()
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

void TestHttpRequestParserLimits::byteAtATimeEqualsOneShot_data()
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

void TestHttpRequestParserLimits::byteAtATimeEqualsOneShot()
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

QTEST_GUILESS_MAIN(TestHttpRequestParserLimits)
#include "tst_httprequestparser_limits.moc"
