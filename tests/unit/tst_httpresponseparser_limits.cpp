// HttpResponseParser's limits (head, chunk, body, trailer) and responses cut off before their end.

#include "HttpResponseParserTestSupport.h"

#include <QTest>

class TestHttpResponseParserLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void limits_data();
    void limits();
    void closedEarly_data();
    void closedEarly();
};

void TestHttpResponseParserLimits::limits_data()
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

void TestHttpResponseParserLimits::limits()
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

void TestHttpResponseParserLimits::closedEarly_data()
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

void TestHttpResponseParserLimits::closedEarly()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, error);
    HttpResponseParser p;
    QVERIFY(p.feed(raw));
    QVERIFY(!p.finish());
    QVERIFY2(p.errorString().contains(error), qPrintable(p.errorString()));
}

QTEST_GUILESS_MAIN(TestHttpResponseParserLimits)
#include "tst_httpresponseparser_limits.moc"
