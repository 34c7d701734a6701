// FeedServer's WebSocket feed against real sockets on 127.0.0.1: hello, snapshot and deltas,
// balancers, ping and resync, one snapshot per revision, and garbage frames.
#include "FeedServerTestSupport.h"

#include <QJsonArray>
#include <QTcpSocket>
#include <QTest>
#include <memory>
#include <vector>

class TestFeedServerWebSocket : public FeedServerTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedServerTestCase::init(); }
    void cleanup() { FeedServerTestCase::cleanup(); }
    void webSocketGetsHelloSnapshotThenDeltas();
    void balancersAreInTheSnapshotAndSentAsTheyChange();
    void pingAndResync();
    void clientsShareOneSnapshotPerRevision();
    void garbageFramesCloseWithDocumentedCodes_data();
    void garbageFramesCloseWithDocumentedCodes();
    void invalidUtf8ClosesWith1007();
};

void TestFeedServerWebSocket::webSocketGetsHelloSnapshotThenDeltas()
{
    start();
    QSignalSpy count(m_server.get(), &FeedServer::clientCountChanged);
    FeedTestClient client;
    QVERIFY(openClient(client));
    QTRY_COMPARE(client.messages.size(), 3);
    QCOMPARE(m_server->clientCount(), 1);
    QCOMPARE(count.size(), 1);

    const QJsonObject hello = client.messages.at(0);
    QCOMPARE(hello.value("type").toString(), QStringLiteral("hello"));
    QCOMPARE(hello.value("protocol").toInt(), 1);
    QCOMPARE(hello.value("agent").toString(), QStringLiteral("0.1.0"));
    QCOMPARE(hello.value("hostname").toString(), QStringLiteral("core-01"));
    const QJsonObject snapshot = client.messages.at(1);
    QCOMPARE(snapshot.value("type").toString(), QStringLiteral("snapshot"));
    QCOMPARE(snapshot.value("reason").toString(), QStringLiteral("initial"));
    QCOMPARE(snapshot.value("revision").toInteger(), 12);
    QCOMPARE(snapshot.value("hosts").toArray().size(), 1);
    QCOMPARE(snapshot.value("services").toArray().size(), 2);
    QCOMPARE(client.messages.at(2).value("type").toString(), QStringLiteral("status"));
    QCOMPARE(client.messages.at(2).value("status").toString(), QStringLiteral("ready"));

    client.messages.clear();
    m_state->upsertService(service("core-01", "pg", "pg.1", 49155), 13);
    QTRY_VERIFY(!client.ofType("service").isEmpty());
    const QJsonObject delta = client.ofType("service").first();
    QCOMPARE(delta.value("op").toString(), QStringLiteral("added"));
    QCOMPARE(delta.value("service").toObject().value("name").toString(), QStringLiteral("pg"));
    QCOMPARE(delta.value("service").toObject().value("address").toString(),
             QStringLiteral("10.0.0.5:49155"));
    QTRY_VERIFY(!client.ofType("event").isEmpty());
    QCOMPARE(client.ofType("event").first().value("event").toObject().value("action").toString(),
             QStringLiteral("added"));

    m_state->upsertService(service("core-01", "pg", "pg.1", 49155, "staging"), 14);
    QTRY_COMPARE(client.ofType("service").size(), 2);
    QCOMPARE(client.ofType("service").at(1).value("op").toString(), QStringLiteral("changed"));
    m_state->removeService(service("core-01", "pg", "pg.1", 49155).key, 15);
    QTRY_COMPARE(client.ofType("service").size(), 3);
    QCOMPARE(client.ofType("service").at(2).value("op").toString(), QStringLiteral("removed"));
    m_state->removeHost("core-01", 16);
    QTRY_COMPARE(client.ofType("host").size(), 1);
    QCOMPARE(client.ofType("host").first().value("host").toObject().value("up").toBool(true),
             false);
    m_state->setStatus(ClusterState::Status::Error,
                       QStringLiteral("etcd at 127.0.0.1:2379 refused the connection"));
    QTRY_VERIFY(!client.ofType("status").isEmpty());
    QCOMPARE(client.ofType("status").last().value("status").toString(), QStringLiteral("error"));
    QTest::qWait(50);
    QCOMPARE(client.ofType("status").size(), 1); // one change, one message

    client.socket.close();
    QTRY_COMPARE(m_server->clientCount(), 0);
}

void TestFeedServerWebSocket::balancersAreInTheSnapshotAndSentAsTheyChange()
{
    BalancerRecord lb;
    lb.name = "lb-1";
    lb.host = "edge-01";
    lb.driver = "haproxy";
    lb.driverVersion = "2.6.12";
    lb.version = "0.1.0";
    lb.startedAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC);
    lb.routes = {BalancerRoute{"redis", "portolan_redis", 2, 1}};
    m_state->upsertBalancer(lb, 13);
    start();
    FeedTestClient client;
    QVERIFY(openClient(client));
    QTRY_VERIFY(!client.ofType("snapshot").isEmpty());
    const QJsonArray listed = client.ofType("snapshot").first().value("balancers").toArray();
    QCOMPARE(listed.size(), 1);
    QCOMPARE(BalancerRecord::fromJson(listed.at(0).toObject()), lb);
    QCOMPARE(request("GET", "/api/v1/snapshot").json.value("balancers").toArray(), listed);

    client.messages.clear();
    lb.lastError = "haproxy -c refused portolan.cfg: line 3: unknown keyword";
    m_state->upsertBalancer(lb, 14);
    QTRY_COMPARE(client.ofType("balancer").size(), 1);
    QCOMPARE(BalancerRecord::fromJson(client.ofType("balancer").at(0).value("balancer").toObject()),
             lb);
    m_state->removeBalancer("lb-1", 15);
    QTRY_COMPARE(client.ofType("balancer").size(), 2);
    const QJsonObject gone = client.ofType("balancer").at(1).value("balancer").toObject();
    QCOMPARE(gone.value("name").toString(), QStringLiteral("lb-1"));
    QCOMPARE(gone.value("up").toBool(true), false);
    // A client connecting now no longer sees it.
    FeedTestClient late;
    QVERIFY(openClient(late));
    QTRY_VERIFY(!late.ofType("snapshot").isEmpty());
    QCOMPARE(late.ofType("snapshot").first().value("balancers").toArray().size(), 0);
}

void TestFeedServerWebSocket::pingAndResync()
{
    start();
    FeedTestClient client;
    QVERIFY(openClient(client));
    QTRY_COMPARE(client.messages.size(), 3);
    client.socket.sendTextMessage(R"({"type":"ping","id":41})");
    QTRY_COMPARE(client.ofType("pong").size(), 1);
    QCOMPARE(client.ofType("pong").first().value("id").toInt(), 41);
    client.socket.sendTextMessage(R"({"type":"resync"})");
    QTRY_COMPARE(client.ofType("snapshot").size(), 2);
    QCOMPARE(client.ofType("snapshot").last().value("reason").toString(), QStringLiteral("resync"));
    m_state->resetToSnapshot(listing({}, 20));
    QTRY_COMPARE(client.ofType("snapshot").size(), 3);
    QCOMPARE(client.ofType("snapshot").last().value("services").toArray().size(), 0);
    QVERIFY(!client.disconnected);
}

void TestFeedServerWebSocket::clientsShareOneSnapshotPerRevision()
{
    start();
    std::vector<std::unique_ptr<FeedTestClient>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::make_unique<FeedTestClient>());
        QVERIFY(openClient(*clients.back()));
    }
    for (const auto &client : clients)
        QTRY_COMPARE(client->messages.size(), 3);
    QCOMPARE(m_server->snapshotBuilds(), 1);

    // A change makes the next client get a new picture, built once more.
    m_state->upsertService(service("core-01", "pg", "pg.1", 49155), 13);
    for (const auto &client : clients)
        QTRY_COMPARE(client->ofType("service").size(), 1);
    FeedTestClient late;
    QVERIFY(openClient(late));
    QTRY_COMPARE(late.messages.size(), 3);
    QCOMPARE(late.messages.at(1).value("revision").toInteger(), 13);
    QCOMPARE(late.messages.at(1).value("services").toArray().size(), 3);
    QCOMPARE(m_server->snapshotBuilds(), 2);

    // A resync of everyone (etcd compaction) is one build too, with its own reason.
    m_state->resetToSnapshot(listing({}, 20));
    for (const auto &client : clients)
        QTRY_COMPARE(client->ofType("snapshot").size(), 2);
    QTRY_COMPARE(late.ofType("snapshot").size(), 2);
    QCOMPARE(m_server->snapshotBuilds(), 3);
    QCOMPARE(late.ofType("snapshot").last().value("reason").toString(), QStringLiteral("resync"));
    QCOMPARE(late.ofType("snapshot").last().value("services").toArray().size(), 0);
}

void TestFeedServerWebSocket::garbageFramesCloseWithDocumentedCodes_data()
{
    QTest::addColumn<int>("kind"); // 0 text, 1 binary
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("reason");

    QTest::newRow("binary") << 1 << QByteArray("\x01\x02") << 1003 << "binary";
    QTest::newRow("invalid JSON") << 0 << QByteArray("{nope") << 1003 << "invalid JSON";
    QTest::newRow("not an object") << 0 << QByteArray("[1]") << 1003 << "object";
    QTest::newRow("unknown type") << 0 << QByteArray(R"({"type":"delete","key":"/"})") << 1003
                                  << "unknown type";
    QTest::newRow("100 KiB") << 0 << QByteArray(100 * 1024, 'x') << 1009 << "";
}

void TestFeedServerWebSocket::garbageFramesCloseWithDocumentedCodes()
{
    QFETCH(int, kind);
    QFETCH(QByteArray, frame);
    QFETCH(int, code);
    QFETCH(QString, reason);

    start();
    FeedTestClient bystander;
    QVERIFY(openClient(bystander));
    FeedTestClient offender;
    QVERIFY(openClient(offender));
    QTRY_COMPARE(offender.messages.size(), 3);

    if (kind == 1)
        offender.socket.sendBinaryMessage(frame);
    else
        offender.socket.sendTextMessage(QString::fromUtf8(frame));
    QTRY_VERIFY(offender.disconnected);
    qInfo() << "closed with" << offender.socket.closeCode() << offender.socket.closeReason();
    QCOMPARE(int(offender.socket.closeCode()), code);
    QVERIFY2(offender.socket.closeReason().contains(reason),
             qPrintable(offender.socket.closeReason()));

    // The server keeps serving the others.
    QTRY_COMPARE(m_server->clientCount(), 1);
    bystander.socket.sendTextMessage(R"({"type":"ping","id":5})");
    QTRY_COMPARE(bystander.ofType("pong").size(), 1);
    QCOMPARE(request("GET", "/api/v1/hosts").status, 200);
}

void TestFeedServerWebSocket::invalidUtf8ClosesWith1007()
{
    start();
    QTcpSocket raw;
    QVERIFY(rawUpgrade(raw));
    // A masked text frame holding bytes that are not UTF-8.
    const QByteArray payload("\xff\xfe\xfd", 3);
    const QByteArray mask("\x01\x02\x03\x04", 4);
    QByteArray frame("\x81", 1);
    frame.append(char(0x80 | payload.size()));
    frame.append(mask);
    for (int i = 0; i < payload.size(); ++i)
        frame.append(char(payload[i] ^ mask[i % 4]));
    raw.write(frame);
    // Skip the server's frames until its close frame: 0x88, length, code.
    QByteArray received;
    QTRY_VERIFY((received += raw.readAll()).contains("\x88"));
    QTRY_VERIFY((received += raw.readAll()).size() >= received.indexOf('\x88') + 4);
    const int at = received.indexOf('\x88');
    const int code = (quint8(received[at + 2]) << 8) | quint8(received[at + 3]);
    QCOMPARE(code, 1007);
    QTRY_COMPARE(m_server->clientCount(), 0);
}

QTEST_GUILESS_MAIN(TestFeedServerWebSocket)
#include "tst_feedserver_websocket.moc"
