// The feed's WebSocket boundary over a raw socket on 127.0.0.1: an unmasked client frame closes
// with 1002, and a ping flood is cut.

#include "FeedBoundaryTestSupport.h"

#include <QSignalSpy>
#include <QTest>

namespace {

QByteArray maskedFrame(quint8 opcode, const QByteArray &payload, bool masked = true)
{
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    frame.append(char((masked ? 0x80 : 0) | payload.size())); // payloads here stay under 126
    const QByteArray mask("\x11\x22\x33\x44", 4);
    if (masked)
        frame.append(mask);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(masked ? char(payload[i] ^ mask[i % 4]) : payload[i]);
    return frame;
}

const QByteArray kUpgrade = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n";

} // namespace

class TestFeedBoundaryWebSocket : public FeedBoundaryTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedBoundaryTestCase::init(); }
    void cleanup() { FeedBoundaryTestCase::cleanup(); }
    void unmaskedFrameCloses1002();
    void pingFloodIsCut();
};

void TestFeedBoundaryWebSocket::unmaskedFrameCloses1002()
{
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write(kUpgrade + "\r\n");
    QVERIFY(client.waitFor([&] { return client.buffer.contains("\r\n\r\n"); }));
    QVERIFY(client.buffer.startsWith("HTTP/1.1 101"));
    QTRY_COMPARE(m_server->clientCount(), 1);
    client.buffer.clear();
    client.socket.write(maskedFrame(0x1, R"({"type":"ping","id":1})", false));
    // Skip the hello and snapshot until the close frame: 0x88, length, code.
    QVERIFY(client.waitFor([&] {
        const qsizetype at = client.buffer.lastIndexOf("\x88");
        return at >= 0 && client.buffer.size() >= at + 4;
    }));
    const qsizetype at = client.buffer.lastIndexOf("\x88");
    QCOMPARE((quint8(client.buffer[at + 2]) << 8) | quint8(client.buffer[at + 3]), 1002);
    QTRY_COMPARE(m_server->clientCount(), 0);
}

void TestFeedBoundaryWebSocket::pingFloodIsCut()
{
    start();
    QSignalSpy flood(m_server.get(), &FeedServer::clientPingFlood);
    QTcpSocket raw;
    raw.setReadBufferSize(1); // the client reads nothing: the kernel's buffers fill up
    raw.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(raw.waitForConnected(5000));
    raw.write(kUpgrade + "\r\n");
    QTRY_COMPARE(m_server->clientCount(), 1);
    const QByteArray ping = maskedFrame(0x9, QByteArray(125, 'p'));
    QByteArray burst;
    for (int i = 0; i < 512; ++i)
        burst += ping;
    // Up to 256 MB of pings, stopping once the server cuts the client.
    qint64 sent = 0;
    QElapsedTimer timer;
    timer.start();
    while (flood.isEmpty() && sent < 256LL * 1024 * 1024 && timer.elapsed() < 60000 &&
           raw.state() == QAbstractSocket::ConnectedState) {
        if (raw.bytesToWrite() < 1024 * 1024) {
            raw.write(burst);
            sent += burst.size();
        }
        QTest::qWait(1);
    }
    qInfo("ping flood: %lld bytes of pings sent before the cut", sent);
    QTRY_COMPARE(flood.size(), 1);
    QTRY_COMPARE(m_server->clientCount(), 0);
    QVERIFY(m_server->peakPendingBytes() < 4 * 1024 * 1024);
}

QTEST_GUILESS_MAIN(TestFeedBoundaryWebSocket)
#include "tst_feedboundary_websocket.moc"
