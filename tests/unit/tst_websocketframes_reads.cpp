// WebSocketFrames::Reader on good client input: messages, fragments, control frames between
// them, close, byte-at-a-time equal to one shot, nothing taken after close or failure, and the
// message limit counting every fragment.

#include "WebSocketFramesTestSupport.h"

#include <QTest>

namespace {

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

} // namespace

class TestWebSocketFramesReads : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void reads_data();
    void reads();
    void byteAtATimeEqualsOneShot_data();
    void byteAtATimeEqualsOneShot();
    void takesNothingAfterCloseOrFailure();
    void limitCountsEveryFragment();
};

void TestWebSocketFramesReads::reads_data()
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

void TestWebSocketFramesReads::reads()
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

void TestWebSocketFramesReads::byteAtATimeEqualsOneShot_data()
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

void TestWebSocketFramesReads::byteAtATimeEqualsOneShot()
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

void TestWebSocketFramesReads::takesNothingAfterCloseOrFailure()
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

void TestWebSocketFramesReads::limitCountsEveryFragment()
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

QTEST_GUILESS_MAIN(TestWebSocketFramesReads)
#include "tst_websocketframes_reads.moc"
