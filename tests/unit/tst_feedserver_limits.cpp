// FeedServer's limits on 127.0.0.1: a client that never reads, idle and surplus HTTP
// connections, silent WebSocket peers, and a stalled server that keeps its clients.
#include "FeedServerTestSupport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <memory>
#include <vector>

class TestFeedServerLimits : public FeedServerTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedServerTestCase::init(); }
    void cleanup() { FeedServerTestCase::cleanup(); }
    void clientThatNeverReadsStaysBounded();
    void idleHttpConnectionsAreCut();
    void connectionsOverTheLimitAreRefused();
    void silentWebSocketPeerIsCut();
    void stalledServerDoesNotCutItsClients();
};

void TestFeedServerLimits::clientThatNeverReadsStaysBounded()
{
    FeedServerOptions options;
    options.clientLimits.closeGraceMs = 500;
    start(options);
    QSignalSpy overflowed(m_server.get(), &FeedServer::clientOverflowed);

    // A hand-made upgrade, then the client stops reading.
    QTcpSocket raw;
    raw.setReadBufferSize(4096);
    QVERIFY(rawUpgrade(raw));
    raw.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
    QTRY_COMPARE(m_server->clientCount(), 1);

    for (int i = 0; i < 20000; ++i) {
        const QString container = QStringLiteral("flood.%1").arg(i % 100);
        m_state->upsertService(
            service("core-01", "flood", container, 40000 + i % 100, QString::number(i)), 100 + i);
        if (i % 250 == 0)
            QCoreApplication::processEvents();
    }
    // The picture stays at 102 services, so this is about the largest snapshot it was sent.
    const qint64 largestSnapshot =
        QJsonDocument(FeedApi::snapshot(*m_state)).toJson(QJsonDocument::Compact).size() + 4096;

    const FeedSubscriberLimits limits;
    const qint64 bound = limits.queueBytes + limits.writeWindow + largestSnapshot + 4096;
    QVERIFY(overflowed.size() >= 1);
    // The queue really filled up to its limit, and never beyond the bound.
    qInfo("peak pending %lld bytes (bound %lld)", m_server->peakPendingBytes(), bound);
    QVERIFY(m_server->peakPendingBytes() >= limits.queueBytes / 2);
    QVERIFY(m_server->peakPendingBytes() <= bound);
    // Falling behind twice within 10 s closes it (1013); one that still does not read is cut.
    QTRY_VERIFY(overflowed.size() >= 2);
    QVERIFY(overflowed.last().at(1).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(m_server->clientCount(), 0, 10000);

    // And the server still serves.
    FeedTestClient fresh;
    QVERIFY(openClient(fresh));
    QTRY_COMPARE(fresh.messages.size(), 3);
    QCOMPARE(fresh.messages.at(1).value("services").toArray().size(), 102);
}

void TestFeedServerLimits::idleHttpConnectionsAreCut()
{
    FeedServerOptions options;
    options.connectionLimits.idleMs = 300;
    options.clientLimits.heartbeatMs = 60000;
    start(options);

    // One connection sends nothing, one half a request; a WebSocket client, silent too, must
    // outlive both: it is the feed client's to watch once upgraded.
    QTcpSocket nothing, half;
    nothing.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    half.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(nothing.waitForConnected(5000));
    QVERIFY(half.waitForConnected(5000));
    half.write("GET /api/v1/hosts HTTP/1.1\r\nHost: 127.0");
    FeedTestClient client;
    QVERIFY(openClient(client));

    QTRY_COMPARE_WITH_TIMEOUT(nothing.state(), QAbstractSocket::UnconnectedState, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(half.state(), QAbstractSocket::UnconnectedState, 5000);
    QCOMPARE(m_server->httpConnectionsCutIdle(), 2);
    QTest::qWait(3 * options.connectionLimits.idleMs);
    QVERIFY(!client.disconnected);
    QCOMPARE(m_server->clientCount(), 1);
    QCOMPARE(m_server->httpConnections(), 0);

    // A connection that keeps asking is not idle, however long it lives.
    QTcpSocket busy;
    busy.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(busy.waitForConnected(5000));
    QElapsedTimer held;
    held.start();
    while (held.elapsed() < 4 * options.connectionLimits.idleMs) {
        busy.write("GET /api/v1/hosts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(busy.bytesAvailable() > 0, 5000);
        busy.readAll();
        QTest::qWait(options.connectionLimits.idleMs / 3);
    }
    QCOMPARE(busy.state(), QAbstractSocket::ConnectedState);
}

void TestFeedServerLimits::connectionsOverTheLimitAreRefused()
{
    FeedServerOptions options;
    options.connectionLimits.maxConnections = 2;
    start(options);
    QSignalSpy refused(m_server.get(), &FeedServer::connectionRefused);

    std::vector<std::unique_ptr<QTcpSocket>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(std::make_unique<QTcpSocket>());
        held.back()->connectToHost(QHostAddress::LocalHost, m_server->serverPort());
        QVERIFY(held.back()->waitForConnected(5000));
    }
    QTRY_COMPARE(m_server->httpConnections(), 2);
    QTcpSocket third;
    third.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(third.waitForConnected(5000)); // the kernel accepts; the server then cuts it
    QTRY_COMPARE_WITH_TIMEOUT(third.state(), QAbstractSocket::UnconnectedState, 5000);
    QCOMPARE(refused.size(), 1);
    QCOMPARE(m_server->httpConnectionsRefused(), 1);

    // Room again once one goes: the page is served.
    held.front()->abort();
    QTRY_COMPARE(m_server->httpConnections(), 1);
    const HttpResult page = request("GET", QStringLiteral("/api/v1/hosts"));
    QCOMPARE(page.status, 200);
}

void TestFeedServerLimits::silentWebSocketPeerIsCut()
{
    FeedServerOptions options;
    options.clientLimits.heartbeatMs = 200;
    start(options);
    QSignalSpy silent(m_server.get(), &FeedServer::clientSilent);

    // A QWebSocket answers pings by itself: it stays however long nothing else is said.
    FeedTestClient answering;
    QVERIFY(openClient(answering));
    // A hand-made client reads what it gets and answers nothing, like a peer that is gone.
    QTcpSocket raw;
    QVERIFY(rawUpgrade(raw));
    QObject::connect(&raw, &QTcpSocket::readyRead, &raw, [&raw] { raw.readAll(); });
    QTRY_COMPARE(m_server->clientCount(), 2);

    QTRY_COMPARE_WITH_TIMEOUT(raw.state(), QAbstractSocket::UnconnectedState, 5000);
    QCOMPARE(silent.size(), 1);
    QVERIFY(silent.first().at(2).toInt() >= 2 * options.clientLimits.heartbeatMs);
    QTest::qWait(5 * options.clientLimits.heartbeatMs);
    QVERIFY(!answering.disconnected);
    QCOMPARE(m_server->clientCount(), 1);
    QCOMPARE(silent.size(), 1);
}

void TestFeedServerLimits::stalledServerDoesNotCutItsClients()
{
    FeedServerOptions options;
    options.clientLimits.heartbeatMs = 200;
    options.connectionLimits.idleMs = 200;
    start(options);
    FeedTestClient client;
    QVERIFY(openClient(client));
    QTcpSocket http;
    http.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(http.waitForConnected(5000));
    QTRY_COMPARE(m_server->httpConnections(), 1);
    // The server's thread does nothing for five heartbeats, as if the process were stopped.
    QThread::msleep(1000);
    QTest::qWait(100);
    QVERIFY(!client.disconnected);
    QCOMPARE(m_server->httpConnections(), 1);
    // Afterwards the limits apply as before.
    QTRY_COMPARE_WITH_TIMEOUT(http.state(), QAbstractSocket::UnconnectedState, 5000);
    QVERIFY(!client.disconnected);
}

QTEST_GUILESS_MAIN(TestFeedServerLimits)
#include "tst_feedserver_limits.moc"
