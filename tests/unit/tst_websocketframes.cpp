#include "http/WebSocketFrames.h"

#include <QTest>

using namespace WebSocketFrames;

namespace {

enum : quint8 { Fin = 0x80, Rsv1 = 0x40, Rsv2 = 0x20, Rsv3 = 0x10 };
enum LengthForm { Shortest, Len16, Len64 };

// A masked client frame. `first` is the whole first byte (FIN, RSV, opcode).
QByteArray clientFrame(quint8 first, QByteArrayView payload, LengthForm form = Shortest,
                       bool masked = true)
{
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d}; // RFC 6455 5.7
    const quint64 n = quint64(payload.size());
    const quint8 maskBit = masked ? 0x80 : 0;
    QByteArray out(1, char(first));
    if (form == Shortest && n < 126) {
        out += char(maskBit | n);
    } else if (form != Len64 && n <= 0xffff) {
        out += char(maskBit | 126);
        out += char(n >> 8);
        out += char(n & 0xff);
    } else {
        out += char(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += char((n >> shift) & 0xff);
    }
    if (!masked)
        return out + payload.toByteArray();
    out.append(reinterpret_cast<const char *>(mask), 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        out += char(quint8(payload[i]) ^ mask[i % 4]);
    return out;
}

QByteArray fin(Opcode op, QByteArrayView payload = {})
{
    return clientFrame(Fin | quint8(op), payload);
}

QByteArray part(Opcode op, QByteArrayView payload)
{
    return clientFrame(quint8(op), payload);
}

QByteArray closePayload(quint16 code, QByteArrayView reason = {})
{
    QByteArray p;
    p += char(code >> 8);
    p += char(code & 0xff);
    return p + reason.toByteArray();
}

// Only a header announcing a 64-bit length, then the mask key.
QByteArray header64(quint8 first, quint64 length)
{
    QByteArray out(1, char(first));
    out += char(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
        out += char((length >> shift) & 0xff);
    return out + QByteArray(4, '\x11');
}

QByteArray hex(const char *spaced)
{
    return QByteArray::fromHex(QByteArray(spaced).replace(' ', ""));
}

QStringList describe(const QList<Message> &messages)
{
    QStringList out;
    for (const Message &m : messages) {
        QString line = QString::number(int(m.opcode)) + QLatin1Char(':') +
                       QString::fromLatin1(m.payload.toHex());
        if (m.opcode == Opcode::Close)
            line +=
                QLatin1Char(':') + QString::number(m.closeCode) + QLatin1Char(':') + m.closeReason;
        out += line;
    }
    return out;
}

QString msg(Opcode op, const QByteArray &payload)
{
    return QString::number(int(op)) + QLatin1Char(':') + QString::fromLatin1(payload.toHex());
}

QString closeMsg(quint16 code, const QByteArray &reason)
{
    const QByteArray payload = code == CloseNoStatus ? QByteArray() : closePayload(code, reason);
    return msg(Opcode::Close, payload) + QLatin1Char(':') + QString::number(code) +
           QLatin1Char(':') + QString::fromUtf8(reason);
}

// Feeds in pieces of `step` bytes (0: at once), checking the buffer bound after each piece.
QList<Message> feedAll(Reader &r, const QByteArray &raw, int step, qsizetype maxMessage)
{
    QList<Message> out;
    if (step <= 0) {
        r.feed(raw, &out);
        return out;
    }
    for (qsizetype i = 0; i < raw.size(); i += step) {
        r.feed(QByteArrayView(raw).sliced(i, qMin<qsizetype>(step, raw.size() - i)), &out);
        if (r.bufferedBytes() > 14 + maxMessage + 125)
            qFatal("reader holds %lld bytes", qlonglong(r.bufferedBytes()));
    }
    return out;
}

const int Steps[] = {0, 1, 3};

} // namespace

class TestWebSocketFrames : public QObject {
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
    void reads_data();
    void reads();
    void refuses_data();
    void refuses();
    void byteAtATimeEqualsOneShot_data();
    void byteAtATimeEqualsOneShot();
    void hugeFrameIsRefusedFromItsHeader_data();
    void hugeFrameIsRefusedFromItsHeader();
    void takesNothingAfterCloseOrFailure();
    void limitCountsEveryFragment();
};

void TestWebSocketFrames::acceptKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("accept");
    QTest::newRow("RFC 6455 1.3") << QByteArray("dGhlIHNhbXBsZSBub25jZQ==")
                                  << QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    QTest::newRow("another") << QByteArray("x3JJHMbDL1EzLkh9GBhXDw==")
                             << QByteArray("HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

void TestWebSocketFrames::acceptKey()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, accept);
    QVERIFY(isValidClientKey(key));
    QCOMPARE(WebSocketFrames::acceptKey(key), accept);
}

void TestWebSocketFrames::clientKey_data()
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

void TestWebSocketFrames::clientKey()
{
    QFETCH(QByteArray, key);
    QFETCH(bool, valid);
    QCOMPARE(isValidClientKey(key), valid);
}

void TestWebSocketFrames::serverFrame_data()
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

void TestWebSocketFrames::serverFrame()
{
    QFETCH(int, opcode);
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, header);
    QCOMPARE(frame(Opcode(opcode), payload), header + payload);
}

void TestWebSocketFrames::closeFrameReason_data()
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

void TestWebSocketFrames::closeFrameReason()
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

void TestWebSocketFrames::reads_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QStringList>("messages");
    QTest::addColumn<bool>("closed");
    QTest::addColumn<int>("step");
    const QByteArray hello = "Hello";
    const QByteArray smiley = "\xf0\x9f\x98\x80";
    struct Case {
        const char *name;
        QByteArray raw;
        QStringList messages;
        bool closed;
    };
    const QList<Case> cases = {
        {"RFC masked Hello",
         hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
         {msg(Opcode::Text, hello)},
         false},
        {"RFC masked pong",
         hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
         {msg(Opcode::Pong, hello)},
         false},
        {"RFC fragments, masked",
         part(Opcode::Text, "Hel") + fin(Opcode::Continuation, "lo"),
         {msg(Opcode::Text, hello)},
         false},
        {"fragments with a ping between",
         part(Opcode::Text, "Hel") + fin(Opcode::Ping, "p") + fin(Opcode::Continuation, "lo"),
         {msg(Opcode::Ping, "p"), msg(Opcode::Text, hello)},
         false},
        {"three fragments, pong and ping between",
         part(Opcode::Binary, "a") + fin(Opcode::Pong) + part(Opcode::Continuation, "b") +
             fin(Opcode::Ping, "x") + fin(Opcode::Continuation, "c"),
         {msg(Opcode::Pong, ""), msg(Opcode::Ping, "x"), msg(Opcode::Binary, "abc")},
         false},
        {"close between fragments ends the message",
         part(Opcode::Text, "Hel") + fin(Opcode::Close, closePayload(1001)) +
             fin(Opcode::Text, "x"),
         {closeMsg(1001, "")},
         true},
        {"empty text", fin(Opcode::Text), {msg(Opcode::Text, "")}, false},
        {"empty fragments",
         part(Opcode::Text, "") + part(Opcode::Continuation, "") + fin(Opcode::Continuation, ""),
         {msg(Opcode::Text, "")},
         false},
        {"character split across fragments",
         part(Opcode::Text, smiley.left(1)) + part(Opcode::Continuation, smiley.mid(1, 2)) +
             fin(Opcode::Continuation, smiley.mid(3)),
         {msg(Opcode::Text, smiley)},
         false},
        {"utf-8 edge characters",
         fin(Opcode::Text, "\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf"),
         {msg(Opcode::Text, "\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf")},
         false},
        {"binary is not checked",
         fin(Opcode::Binary, "\xff\xc0"),
         {msg(Opcode::Binary, "\xff\xc0")},
         false},
        {"16-bit length",
         fin(Opcode::Binary, QByteArray(300, 'b')),
         {msg(Opcode::Binary, QByteArray(300, 'b'))},
         false},
        {"message at the limit",
         fin(Opcode::Text, QByteArray(1024, 't')),
         {msg(Opcode::Text, QByteArray(1024, 't'))},
         false},
        {"fragments at the limit",
         part(Opcode::Text, QByteArray(1000, 't')) + fin(Opcode::Ping, QByteArray(125, 'p')) +
             fin(Opcode::Continuation, QByteArray(24, 't')),
         {msg(Opcode::Ping, QByteArray(125, 'p')), msg(Opcode::Text, QByteArray(1024, 't'))},
         false},
        {"ping of 125",
         fin(Opcode::Ping, QByteArray(125, 'p')),
         {msg(Opcode::Ping, QByteArray(125, 'p'))},
         false},
        {"two messages",
         fin(Opcode::Text, "a") + fin(Opcode::Binary, "b"),
         {msg(Opcode::Text, "a"), msg(Opcode::Binary, "b")},
         false},
        {"close without code", fin(Opcode::Close), {closeMsg(CloseNoStatus, "")}, true},
        {"close with reason",
         fin(Opcode::Close, closePayload(1000, "bye \xc3\xa9")),
         {closeMsg(1000, "bye \xc3\xa9")},
         true},
        {"close 1003", fin(Opcode::Close, closePayload(1003)), {closeMsg(1003, "")}, true},
        {"close 1007", fin(Opcode::Close, closePayload(1007)), {closeMsg(1007, "")}, true},
        {"close 1014", fin(Opcode::Close, closePayload(1014)), {closeMsg(1014, "")}, true},
        {"close 3000", fin(Opcode::Close, closePayload(3000)), {closeMsg(3000, "")}, true},
        {"close 4999", fin(Opcode::Close, closePayload(4999)), {closeMsg(4999, "")}, true},
        {"bytes after close are ignored",
         fin(Opcode::Text, "a") + fin(Opcode::Close, closePayload(1000)) +
             QByteArray("\0garbage", 8),
         {msg(Opcode::Text, "a"), closeMsg(1000, "")},
         true},
    };
    for (const Case &c : cases)
        for (int step : Steps)
            QTest::addRow("%s/step %d", c.name, step) << c.raw << c.messages << c.closed << step;
}

void TestWebSocketFrames::reads()
{
    QFETCH(QByteArray, raw);
    QFETCH(QStringList, messages);
    QFETCH(bool, closed);
    QFETCH(int, step);
    Reader r;
    const QList<Message> out = feedAll(r, raw, step, 1024);
    QVERIFY2(!r.hasError(), qPrintable(r.errorString()));
    QCOMPARE(r.errorCode(), 0);
    QCOMPARE(describe(out), messages);
    QCOMPARE(r.closed(), closed);
    if (!closed)
        QCOMPARE(r.bufferedBytes(), 0);
}

void TestWebSocketFrames::refuses_data()
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

void TestWebSocketFrames::refuses()
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

void TestWebSocketFrames::byteAtATimeEqualsOneShot_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addRow("messages") << part(Opcode::Text, "Hel") + fin(Opcode::Ping, "p") +
                                     fin(Opcode::Continuation, "lo") + fin(Opcode::Binary, "b");
    QTest::addRow("then a bad frame")
        << fin(Opcode::Text, "a") + fin(Opcode::Pong, "b") + clientFrame(Fin | Rsv1 | 1, "c");
    QTest::addRow("then too big") << fin(Opcode::Text, "a") + header64(Fin | 2, 1u << 20);
    QTest::addRow("then close") << fin(Opcode::Text, "a") + fin(Opcode::Close, closePayload(1000)) +
                                       fin(Opcode::Text, "b");
    QTest::addRow("then bad utf-8") << fin(Opcode::Binary, "a") + fin(Opcode::Text, "\xed\xbf\xbf");
}

void TestWebSocketFrames::byteAtATimeEqualsOneShot()
{
    QFETCH(QByteArray, raw);
    Reader whole;
    Reader bytes;
    const QList<Message> a = feedAll(whole, raw, 0, 1024);
    const QList<Message> b = feedAll(bytes, raw, 1, 1024);
    QCOMPARE(describe(b), describe(a));
    QCOMPARE(bytes.errorCode(), whole.errorCode());
    QCOMPARE(bytes.errorString(), whole.errorString());
    QCOMPARE(bytes.closed(), whole.closed());
}

void TestWebSocketFrames::hugeFrameIsRefusedFromItsHeader_data()
{
    QTest::addColumn<qsizetype>("maxMessage");
    QTest::newRow("1 KiB") << qsizetype(1024);
    QTest::newRow("64 MiB") << qsizetype(64) * 1024 * 1024;
}

void TestWebSocketFrames::hugeFrameIsRefusedFromItsHeader()
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

void TestWebSocketFrames::takesNothingAfterCloseOrFailure()
{
    Reader r;
    QList<Message> out;
    QVERIFY(r.feed(fin(Opcode::Close, closePayload(1000, "bye")) + fin(Opcode::Text, "a"), &out));
    QVERIFY(r.closed());
    QCOMPARE(out.size(), 1);
    QVERIFY(r.feed(fin(Opcode::Text, "b"), &out));
    QCOMPARE(out.size(), 1);
    QCOMPARE(r.bufferedBytes(), 0);

    Reader bad;
    out.clear();
    QVERIFY(!bad.feed(hex("81 05 48 65 6c 6c 6f"), &out));
    const QString error = bad.errorString();
    QVERIFY(!bad.feed(fin(Opcode::Text, "b"), &out));
    QVERIFY(out.isEmpty());
    QCOMPARE(bad.errorString(), error);
    QCOMPARE(bad.errorCode(), CloseProtocolError);
}

void TestWebSocketFrames::limitCountsEveryFragment()
{
    // Fragments and interleaved pings never let the reader hold more than the limit plus one
    // control payload and one header.
    Reader r(100);
    QList<Message> out;
    QByteArray stream = part(Opcode::Binary, QByteArray(50, 'a'));
    stream += fin(Opcode::Ping, QByteArray(125, 'p'));
    stream += part(Opcode::Continuation, QByteArray(50, 'b'));
    stream += fin(Opcode::Ping, QByteArray(125, 'p'));
    stream += fin(Opcode::Continuation, QByteArray(0, 'c'));
    for (char c : std::as_const(stream)) {
        QVERIFY(r.feed(QByteArrayView(&c, 1), &out));
        QVERIFY(r.bufferedBytes() <= 100 + 125 + 14);
    }
    QCOMPARE(out.size(), 3);
    QCOMPARE(out.last().payload, QByteArray(50, 'a') + QByteArray(50, 'b'));
    QVERIFY(!r.feed(part(Opcode::Binary, QByteArray(60, 'a')) +
                        fin(Opcode::Continuation, QByteArray(41, 'b')),
                    &out));
    QCOMPARE(r.errorCode(), CloseTooBig);
}

QTEST_GUILESS_MAIN(TestWebSocketFrames)
#include "tst_websocketframes.moc"
