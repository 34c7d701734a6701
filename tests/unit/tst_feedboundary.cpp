// The feed's HTTP boundary (issue 15) over raw sockets on 127.0.0.1: limits before the token,
// the head deadline, request order on one connection, framing (HEAD, Connection: close,
// HTTP/1.0, Content-Length), Host and Origin, masked frames, and a ping flood. The server runs
// on this thread, so every wait spins the event loop.
#include "cluster/ClusterState.h"
#include "feed/FeedRequestPolicy.h"
#include "feed/FeedServer.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <memory>

namespace {

const QByteArray kToken = "s3cret-feed-token";

// Reads answers with Content-Length framing, the way a keep-alive client does.
struct RawClient {
    QTcpSocket socket;
    QByteArray buffer;

    bool connect(quint16 port)
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        return socket.waitForConnected(5000);
    }
    // Waits until `done` holds for the bytes read so far, or the peer closed, or `ms` passed.
    template <typename Done> bool waitFor(Done done, int ms = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        while (!done() && timer.elapsed() < ms) {
            QTest::qWait(5);
            buffer += socket.readAll();
            if (socket.state() == QAbstractSocket::UnconnectedState)
                break;
        }
        buffer += socket.readAll();
        return done();
    }
    // One answer: status, headers (lower-case names) and body; removed from the buffer.
    struct Answer {
        int status = 0;
        QHash<QByteArray, QByteArray> headers;
        QByteArray body;
    };
    std::optional<Answer> next(bool head = false, int ms = 5000)
    {
        std::optional<Answer> answer;
        waitFor(
            [&] {
                if (!answer)
                    answer = parse(head);
                return answer.has_value();
            },
            ms);
        return answer;
    }
    std::optional<Answer> parse(bool head)
    {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return std::nullopt;
        Answer answer;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        answer.status = lines.value(0).mid(9, 3).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            answer.headers.insert(lines[i].left(colon).toLower(),
                                  lines[i].mid(colon + 1).trimmed());
        }
        const qsizetype length = head ? 0 : answer.headers.value("content-length").toLongLong();
        if (buffer.size() < end + 4 + length)
            return std::nullopt;
        answer.body = buffer.mid(end + 4, length);
        buffer.remove(0, end + 4 + length);
        return answer;
    }
    bool closedByPeer(int ms = 5000)
    {
        return waitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, ms);
    }
};

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

class TestFeedBoundary : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void headLimitsAnswerBeforeTheToken_data();
    void headLimitsAnswerBeforeTheToken();
    void slowHeadIsCutAtTheDeadline();
    void pipelinedRequestsAreAnsweredInOrder();
    void framing_data();
    void framing();
    void headHasNoBodyAndKeepsTheConnection();
    void hostAndOrigin_data();
    void hostAndOrigin();
    void hostPolicy_data();
    void hostPolicy();
    void unmaskedFrameCloses1002();
    void pingFloodIsCut();
    void refusedRequestsAreSignalledNotLoggedByQt();
    void tokenParameterIsExact_data();
    void tokenParameterIsExact();

private:
    void start(FeedServerOptions options = {});
    std::unique_ptr<ClusterState> m_state;
    std::unique_ptr<FeedServer> m_server;
};

void TestFeedBoundary::init()
{
    m_state = std::make_unique<ClusterState>(QStringLiteral("/portolan"));
    m_state->setStatus(ClusterState::Status::Ready);
}

void TestFeedBoundary::cleanup()
{
    m_server.reset();
    m_state.reset();
}

void TestFeedBoundary::start(FeedServerOptions options)
{
    options.hostname = QStringLiteral("core-01");
    m_server = std::make_unique<FeedServer>(m_state.get(), options);
    const QString error = m_server->listen();
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestFeedBoundary::headLimitsAnswerBeforeTheToken_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("status");
    const QByteArray host = "Host: 127.0.0.1\r\n";
    QTest::newRow("long request line")
        << "GET /api/v1/hosts?" + QByteArray(9000, 'a') + " HTTP/1.1\r\n" + host << 414;
    QTest::newRow("long header line")
        << "GET /api/v1/hosts HTTP/1.1\r\n" + host + "X-A: " + QByteArray(9000, 'a') + "\r\n"
        << 431;
    QByteArray many = "GET /api/v1/hosts HTTP/1.1\r\n" + host;
    for (int i = 0; i < 70; ++i)
        many += "X-" + QByteArray::number(i) + ": a\r\n";
    QTest::newRow("70 headers") << many << 431;
    QByteArray big = "GET /api/v1/hosts HTTP/1.1\r\n" + host;
    for (int i = 0; i < 5; ++i)
        big += "X-" + QByteArray::number(i) + ": " + QByteArray(4000, 'b') + "\r\n";
    QTest::newRow("20 KB of headers") << big << 431;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x\n") << 400;
    QTest::newRow("HTTP/2.0") << "GET / HTTP/2.0\r\n" + host << 505;
}

void TestFeedBoundary::headLimitsAnswerBeforeTheToken()
{
    QFETCH(QByteArray, head);
    QFETCH(int, status);
    FeedServerOptions options;
    options.token = kToken;
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write(head);
    const auto answer = client.next();
    QVERIFY(answer);
    QCOMPARE(answer->status, status);
    QCOMPARE(answer->headers.value("connection"), QByteArray("close"));
    QVERIFY(client.closedByPeer());
    QCOMPARE(m_server->requestsRefused(), 1);
}

void TestFeedBoundary::slowHeadIsCutAtTheDeadline()
{
    FeedServerOptions options;
    options.headDeadlineMs = 300;
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    // A byte now and then keeps the idle cut away; the deadline counts from the first byte.
    for (int i = 0; i < 3; ++i) {
        QTest::qWait(50);
        client.socket.write("X");
    }
    const auto answer = client.next(false, 3000);
    QVERIFY(answer);
    QCOMPARE(answer->status, 408);
    QVERIFY(client.closedByPeer());
}

void TestFeedBoundary::pipelinedRequestsAreAnsweredInOrder()
{
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    const QList<QByteArray> paths = {"/api/v1/hosts", "/nothing", "/api/v1/events", "/api/v1/nope",
                                     "/"};
    QByteArray all;
    for (const QByteArray &path : paths)
        all += "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    client.socket.write(all);
    const QList<int> expected = {200, 404, 200, 404, 200};
    for (int i = 0; i < paths.size(); ++i) {
        const auto answer = client.next();
        QVERIFY2(answer, paths[i].constData());
        QCOMPARE(answer->status, expected[i]);
    }
    QVERIFY(client.buffer.isEmpty());
}

void TestFeedBoundary::framing_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    const QByteArray get = "GET /api/v1/hosts HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    QTest::newRow("Connection: close") << get + "Connection: close\r\n\r\n" << 200;
    QTest::newRow("HTTP/1.0") << QByteArray("GET /api/v1/hosts HTTP/1.0\r\n\r\n") << 200;
    QTest::newRow("Content-Length twice") << get + "Content-Length: 51\r\nContent-Length: 0\r\n\r\n"
                                          << 400;
    QTest::newRow("Content-Length list") << get + "Content-Length: 0, 51\r\n\r\n" << 400;
    QTest::newRow("Content-Length +0") << get + "Content-Length: +0\r\n\r\n" << 400;
    QTest::newRow("GET with a body") << get + "Content-Length: 5\r\n\r\nhello" << 400;
    QTest::newRow("chunked GET") << get + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" << 400;
    QTest::newRow("POST") << QByteArray("POST /api/v1/hosts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Content-Length: 2\r\n\r\n{}")
                          << 405;
    QTest::newRow("no Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
}

void TestFeedBoundary::framing()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write(request);
    const auto answer = client.next();
    QVERIFY(answer);
    QCOMPARE(answer->status, status);
    // Every one of these ends the connection: by request, by version, or as a fault.
    QVERIFY(client.closedByPeer(2000));
}

void TestFeedBoundary::headHasNoBodyAndKeepsTheConnection()
{
    start();
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const auto head = client.next(true);
    QVERIFY(head);
    QCOMPARE(head->status, 200);
    QVERIFY(head->headers.value("content-length").toInt() > 0);
    client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const auto get = client.next();
    QVERIFY(get);
    QCOMPARE(get->status, 200);
    QCOMPARE(get->headers.value("content-length"), head->headers.value("content-length"));
    QCOMPARE(get->body.size(), head->headers.value("content-length").toInt());
    QVERIFY(get->body.startsWith("<!doctype html>"));
}

void TestFeedBoundary::hostAndOrigin_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<int>("status");
    QTest::newRow("page, foreign Host") << QByteArray("Host: evil.example\r\n") << false << 403;
    QTest::newRow("api, foreign Host") << QByteArray("Host: evil.example:8080\r\n") << false << 403;
    QTest::newRow("page, allowed name")
        << QByteArray("Host: feed.example:8080\r\n") << false << 200;
    QTest::newRow("page, localhost") << QByteArray("Host: LOCALHOST:1\r\n") << false << 200;
    QTest::newRow("page, [::1]") << QByteArray("Host: [::1]:8080\r\n") << false << 200;
    QTest::newRow("ws, evil origin")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: http://evil.example\r\n") << true << 403;
    QTest::newRow("ws, null origin")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: null\r\n") << true << 403;
    QTest::newRow("ws, foreign Host") << QByteArray("Host: evil.example\r\n") << true << 403;
    QTest::newRow("ws, same origin")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n") << true << 101;
    QTest::newRow("ws, origin of an allowed name")
        << QByteArray("Host: 127.0.0.1\r\nOrigin: https://feed.example\r\n") << true << 101;
    QTest::newRow("ws, origin on another port")
        << QByteArray("Host: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:9999\r\n") << true << 403;
}

void TestFeedBoundary::hostAndOrigin()
{
    QFETCH(QByteArray, headers);
    QFETCH(bool, upgrade);
    QFETCH(int, status);
    FeedServerOptions options;
    options.allowedHosts = {QStringLiteral("feed.example")};
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    if (upgrade) {
        client.socket.write("GET /ws HTTP/1.1\r\n" + headers +
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n");
    } else {
        client.socket.write("GET / HTTP/1.1\r\n" + headers + "\r\n");
    }
    QVERIFY(client.waitFor([&] { return client.buffer.contains("\r\n"); }));
    QCOMPARE(client.buffer.mid(9, 3).toInt(), status);
    if (status == 101)
        QTRY_COMPARE(m_server->clientCount(), 1);
    else
        QCOMPARE(m_server->clientCount(), 0);
}

void TestFeedBoundary::hostPolicy_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("IPv4") << QByteArray("10.0.0.5:8080") << true;
    QTest::newRow("IPv6") << QByteArray("[fe80::1]:8080") << true;
    QTest::newRow("bare IPv6") << QByteArray("fe80::1") << false;
    QTest::newRow("short IPv4 form") << QByteArray("127.1") << false;
    QTest::newRow("rebinding name") << QByteArray("attacker.example:8080") << false;
    QTest::newRow("allowed name") << QByteArray("Feed.Example") << true;
    QTest::newRow("suffix of allowed") << QByteArray("evilfeed.example") << false;
    QTest::newRow("empty") << QByteArray("") << false;
    QTest::newRow("absent (HTTP/1.0)") << QByteArray() << true;
}

void TestFeedBoundary::hostPolicy()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, allowed);
    QCOMPARE(FeedRequestPolicy::hostAllowed(host, {QStringLiteral("feed.example")}), allowed);
}

void TestFeedBoundary::unmaskedFrameCloses1002()
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

void TestFeedBoundary::pingFloodIsCut()
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

void TestFeedBoundary::refusedRequestsAreSignalledNotLoggedByQt()
{
    FeedServerOptions options;
    options.token = kToken;
    start(options);
    QSignalSpy refused(m_server.get(), &FeedServer::requestRefused);
    for (int i = 0; i < 20; ++i) {
        RawClient client;
        QVERIFY(client.connect(m_server->serverPort()));
        client.socket.write(
            "GET /ws?token=wrong HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
        const auto answer = client.next();
        QVERIFY(answer);
        QCOMPARE(answer->status, 401);
    }
    QCOMPARE(refused.size(), 20);
    // The reason names the fault, never the request's target or the presented token.
    for (const QList<QVariant> &args : refused)
        QVERIFY(!args.at(2).toString().contains(QLatin1String("wrong")));
}

void TestFeedBoundary::tokenParameterIsExact_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<int>("status");
    QTest::newRow("token=") << "token=" + kToken << 200;
    QTest::newRow("encoded value") << QByteArray("token=s3cret%2Dfeed-token") << 200;
    QTest::newRow("among others") << "a=1&token=" + kToken + "&b=2" << 200;
    QTest::newRow("%74oken=") << "%74oken=" + kToken << 401;
    QTest::newRow("tok%65n=") << "tok%65n=" + kToken << 401;
    QTest::newRow("token%3D") << "token%3D" + kToken << 401;
    QTest::newRow("Token=") << "Token=" + kToken << 401;
    QTest::newRow("wrong") << QByteArray("token=wrong") << 401;
}

void TestFeedBoundary::tokenParameterIsExact()
{
    QFETCH(QByteArray, query);
    QFETCH(int, status);
    FeedServerOptions options;
    options.token = kToken;
    start(options);
    RawClient client;
    QVERIFY(client.connect(m_server->serverPort()));
    client.socket.write("GET /api/v1/hosts?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const auto answer = client.next();
    QVERIFY(answer);
    QCOMPARE(answer->status, status);
}

QTEST_GUILESS_MAIN(TestFeedBoundary)
#include "tst_feedboundary.moc"
