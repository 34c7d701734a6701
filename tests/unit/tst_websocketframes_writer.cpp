// WebSocketFrames on the server side: the handshake key checks and accept key, the frames the
// server writes, close reasons cut to fit.

#include "WebSocketFramesTestSupport.h"

#include <QTest>

class TestWebSocketFramesWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void acceptKey_data();
    void acceptKey();
    void clientKey_data();
    void clientKey();
    void serverFrame_data();
    void serverFrame();
    void closeFrameReason_data();
    void closeFrameReason();
};

void TestWebSocketFramesWriter::acceptKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("accept");
    QTest::newRow("RFC 6455 1.3") << QByteArray("dGhlIHNhbXBsZSBub25jZQ==")
                                  << QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    QTest::newRow("another") << QByteArray("x3JJHMbDL1EzLkh9GBhXDw==")
                             << QByteArray("HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

void TestWebSocketFramesWriter::acceptKey()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, accept);
    QVERIFY(isValidClientKey(key));
    QCOMPARE(WebSocketFrames::acceptKey(key), accept);
}

void TestWebSocketFramesWriter::clientKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("valid");
    QTest::newRow("RFC") << QByteArray("dGhlIHNhbXBsZSBub25jZQ==") << true;
    QTest::newRow("16 zero bytes") << QByteArray(16, '\0').toBase64() << true;
    QTest::newRow("16 0xff bytes") << QByteArray(16, '\xff').toBase64() << true;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("no padding") << QByteArray("dGhlIHNhbXBsZSBub25jZQ") << false;
    QTest::newRow("one pad") << QByteArray("dGhlIHNhbXBsZSBub25jZQ=") << false;
    QTest::newRow("trailing space") << QByteArray("dGhlIHNhbXBsZSBub25jZQ== ") << false;
    QTest::newRow("leading space") << QByteArray(" dGhlIHNhbXBsZSBub25jZQ==") << false;
    QTest::newRow("inner space") << QByteArray("dGhlIHNhbXBs ZSBub25jZQ=") << false;
    QTest::newRow("stray bits") << QByteArray("dGhlIHNhbXBsZSBub25jZR==") << false;
    QTest::newRow("bad character") << QByteArray("dGhlIHNhbXBsZSBub25jZ!==") << false;
    QTest::newRow("url-safe alphabet") << QByteArray("_-hlIHNhbXBsZSBub25jZQ==") << false;
    QTest::newRow("15 bytes") << QByteArray(15, 'a').toBase64() << false;
    QTest::newRow("17 bytes") << QByteArray(17, 'a').toBase64() << false;
    QTest::newRow("18 bytes") << QByteArray(18, 'a').toBase64() << false;
    QTest::newRow("all padding") << QByteArray(24, '=') << false;
    QTest::newRow("padding inside") << QByteArray("dGhlIHNhbXBsZS=ub25jZQ==") << false;
}

void TestWebSocketFramesWriter::clientKey()
{
    QFETCH(QByteArray, key);
    QFETCH(bool, valid);
    QCOMPARE(isValidClientKey(key), valid);
}

void TestWebSocketFramesWriter::serverFrame_data()
{
    QTest::addColumn<int>("opcode");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("RFC unmasked Hello") << int(Opcode::Text) << QByteArray("Hello") << hex("81 05");
    QTest::newRow("RFC unmasked ping") << int(Opcode::Ping) << QByteArray("Hello") << hex("89 05");
    QTest::newRow("empty") << int(Opcode::Binary) << QByteArray() << hex("82 00");
    QTest::newRow("125") << int(Opcode::Text) << QByteArray(125, 'x') << hex("81 7d");
    QTest::newRow("126") << int(Opcode::Text) << QByteArray(126, 'x') << hex("81 7e 00 7e");
    QTest::newRow("RFC 256 bytes")
        << int(Opcode::Binary) << QByteArray(256, 'x') << hex("82 7e 01 00");
    QTest::newRow("65535") << int(Opcode::Text) << QByteArray(65535, 'x') << hex("81 7e ff ff");
    QTest::newRow("RFC 64 KiB") << int(Opcode::Binary) << QByteArray(65536, 'x')
                                << hex("82 7f 00 00 00 00 00 01 00 00");
}

void TestWebSocketFramesWriter::serverFrame()
{
    QFETCH(int, opcode);
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, header);
    QCOMPARE(frame(Opcode(opcode), payload), header + payload);
}

void TestWebSocketFramesWriter::closeFrameReason_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QByteArray>("expected"); // the reason's bytes on the wire
    QTest::newRow("no reason") << 1000 << QString() << QByteArray();
    QTest::newRow("short") << 1009 << QStringLiteral("too big") << QByteArray("too big");
    QTest::newRow("123 ASCII") << 1002 << QString(123, QLatin1Char('a')) << QByteArray(123, 'a');
    QTest::newRow("200 ASCII cut")
        << 1002 << QString(200, QLatin1Char('a')) << QByteArray(123, 'a');
    QByteArray e122;
    for (int i = 0; i < 61; ++i)
        e122 += "\xc3\xa9";
    QTest::newRow("2-byte characters cut") << 1000 << QString(100, QChar(0xe9)) << e122;
    QTest::newRow("4-byte characters cut")
        << 1000
        << QString::fromUtf8(QByteArray(40, 'x') + QByteArray("\xf0\x9f\x98\x80").repeated(30))
        << QByteArray(40, 'x') + QByteArray("\xf0\x9f\x98\x80").repeated(20);
}

void TestWebSocketFramesWriter::closeFrameReason()
{
    QFETCH(int, code);
    QFETCH(QString, reason);
    QFETCH(QByteArray, expected);
    const QByteArray f = closeFrame(quint16(code), reason);
    QCOMPARE(f, frame(Opcode::Close, closePayload(quint16(code), expected)));
    QVERIFY(f.size() <= 127);
    // A client reading it (masked as a client would send it) gets the same code and reason.
    Reader r;
    QList<Message> out;
    QVERIFY(r.feed(fin(Opcode::Close, f.mid(2)), &out));
    QCOMPARE(out.size(), 1);
    QCOMPARE(out[0].closeCode, code);
    QCOMPARE(out[0].closeReason, QString::fromUtf8(expected));
}

QTEST_GUILESS_MAIN(TestWebSocketFramesWriter)
#include "tst_websocketframes_writer.moc"
