// WebSocketFrames::Reader on bad client input: each protocol, size and UTF-8 error with its close
// code, and a huge frame refused from its header alone.

#include "WebSocketFramesTestSupport.h"

#include <QTest>

class TestWebSocketFramesRefuses : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void refuses_data();
    void refuses();
    void hugeFrameIsRefusedFromItsHeader_data();
    void hugeFrameIsRefusedFromItsHeader();
};

void TestWebSocketFramesRefuses::refuses_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("step");
    struct Case {
        QByteArray name;
        QByteArray raw;
        int code;
        const char *error;
    };
    QList<Case> cases = {
        {"RFC unmasked Hello", hex("81 05 48 65 6c 6c 6f"), 1002, "not masked"},
        {"unmasked empty", clientFrame(Fin | 1, "", Shortest, false), 1002, "not masked"},
        {"rsv1", clientFrame(Fin | Rsv1 | 1, "a"), 1002, "RSV"},
        {"rsv2", clientFrame(Fin | Rsv2 | 1, "a"), 1002, "RSV"},
        {"rsv3", clientFrame(Fin | Rsv3 | 1, "a"), 1002, "RSV"},
        {"fragmented ping", clientFrame(quint8(Opcode::Ping), "a"), 1002, "fragmented control"},
        {"fragmented close", clientFrame(quint8(Opcode::Close), ""), 1002, "fragmented control"},
        {"ping of 126", fin(Opcode::Ping, QByteArray(126, 'p')), 1002, "longer than 125"},
        {"pong of 126 in 64 bits", clientFrame(Fin | 0xA, QByteArray(126, 'p'), Len64), 1002,
         "longer than 125"},
        {"close of 1 byte", fin(Opcode::Close, "\x03"), 1002, "1-byte payload"},
        {"lone continuation", fin(Opcode::Continuation, "a"), 1002, "no message to continue"},
        {"continuation after a whole message",
         fin(Opcode::Text, "a") + fin(Opcode::Continuation, "b"), 1002, "no message to continue"},
        {"text inside a fragmented message", part(Opcode::Text, "a") + fin(Opcode::Text, "b"), 1002,
         "new message inside"},
        {"binary inside a fragmented message",
         part(Opcode::Binary, "a") + fin(Opcode::Ping) + part(Opcode::Binary, "b"), 1002,
         "new message inside"},
        {"16-bit length of 125", clientFrame(Fin | 1, QByteArray(125, 'a'), Len16), 1002,
         "shortest form"},
        {"16-bit length of 0", clientFrame(Fin | 1, "", Len16), 1002, "shortest form"},
        {"64-bit length of 65535", header64(Fin | 2, 65535), 1002, "shortest form"},
        {"64-bit length of 200", clientFrame(Fin | 2, QByteArray(200, 'a'), Len64), 1002,
         "shortest form"},
        {"64-bit length with the top bit", header64(Fin | 2, Q_UINT64_C(1) << 63), 1002, "top bit"},
        {"64-bit length all ones", header64(Fin | 2, ~quint64(0)), 1002, "top bit"},
        {"message one over", fin(Opcode::Text, QByteArray(1025, 't')), 1009,
         "larger than 1024 bytes"},
        {"fragments one over",
         part(Opcode::Binary, QByteArray(1000, 'b')) +
             fin(Opcode::Continuation, QByteArray(25, 'b')),
         1009, "larger than 1024"},
        {"header of 2^62", header64(Fin | 2, Q_UINT64_C(1) << 62), 1009, "larger than 1024"},
        {"invalid byte", fin(Opcode::Text, "a\xff"), 1007, "not UTF-8"},
        {"lone continuation byte", fin(Opcode::Text, "\x80"), 1007, "not UTF-8"},
        {"overlong slash", fin(Opcode::Text, "\xc0\xaf"), 1007, "not UTF-8"},
        {"overlong 3-byte", fin(Opcode::Text, "\xe0\x80\xaf"), 1007, "not UTF-8"},
        {"overlong 4-byte", fin(Opcode::Text, "\xf0\x8f\xbf\xbf"), 1007, "not UTF-8"},
        {"surrogate", fin(Opcode::Text, "\xed\xa0\x80"), 1007, "not UTF-8"},
        {"above U+10FFFF", fin(Opcode::Text, "\xf4\x90\x80\x80"), 1007, "not UTF-8"},
        {"cut character", fin(Opcode::Text, "\xe2\x82"), 1007, "not UTF-8"},
        {"cut character across fragments",
         part(Opcode::Text, "\xf0\x9f") + fin(Opcode::Continuation, "\x98"), 1007, "not UTF-8"},
        {"close reason not utf-8", fin(Opcode::Close, closePayload(1000, "\xc3")), 1007,
         "close reason"},
    };
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1999, 2999, 5000, 65535})
        cases.append({"close code " + QByteArray::number(code),
                      fin(Opcode::Close, closePayload(quint16(code))), 1002, "may not be sent"});
    for (quint8 op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
        cases.append({"unknown opcode", clientFrame(Fin | op, "a"), 1002, "unknown opcode"});
    for (const Case &c : cases)
        for (int step : Steps)
            QTest::addRow("%s %d/step %d", c.name.constData(), int(quint8(c.raw[0]) & 0xf), step)
                << c.raw << c.code << QString::fromLatin1(c.error) << step;
}

void TestWebSocketFramesRefuses::refuses()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, code);
    QFETCH(QString, error);
    QFETCH(int, step);
    Reader r;
    feedAll(r, raw, step, 1024);
    QVERIFY(r.hasError());
    QCOMPARE(r.errorCode(), code);
    QVERIFY2(r.errorString().contains(error), qPrintable(r.errorString()));
    QVERIFY(r.errorString().toUtf8().size() <= 123);
    QCOMPARE(r.bufferedBytes(), 0);
    QVERIFY(!r.closed());
}

void TestWebSocketFramesRefuses::hugeFrameIsRefusedFromItsHeader_data()
{
    QTest::addColumn<qsizetype>("maxMessage");
    QTest::newRow("1 KiB") << qsizetype(1024);
    QTest::newRow("64 MiB") << qsizetype(64) * 1024 * 1024;
}

void TestWebSocketFramesRefuses::hugeFrameIsRefusedFromItsHeader()
{
    QFETCH(qsizetype, maxMessage);
    Reader r(maxMessage);
    QList<Message> out;
    const QByteArray header = header64(Fin | 2, Q_UINT64_C(1) << 62);
    QVERIFY(r.feed(header.first(13), &out)); // one byte short of the header: still waiting
    QCOMPARE(r.bufferedBytes(), 13);
    QVERIFY(!r.feed(header.last(1), &out));
    QCOMPARE(r.errorCode(), CloseTooBig);
    QCOMPARE(r.bufferedBytes(), 0);
    // The payload that follows is not taken in.
    const QByteArray payload(1024 * 1024, 'x');
    QVERIFY(!r.feed(payload, &out));
    QCOMPARE(r.bufferedBytes(), 0);
    QVERIFY(out.isEmpty());
}

QTEST_GUILESS_MAIN(TestWebSocketFramesRefuses)
#include "tst_websocketframes_refuses.moc"
