// DockerClient and DockerEventStream against FakeDockerDaemon (faults a real dockerd cannot be
// made to produce on demand) and, when PORTOLAN_TEST_DOCKER_SOCK is set, a real dockerd.
#include "docker/DockerClient.h"
#include "docker/DockerEventStream.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QProcess>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return f.readAll();
}

QByteArray response(int status, const QByteArray &reason, const QByteArray &body,
                    const QByteArray &extraHeaders = "Api-Version: 1.41\r\n")
{
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n" + extraHeaders +
           "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\n\r\n" + body;
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

const QByteArray StreamHeaders = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: "
                                 "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

} // namespace

// Accepts TLS connections with the test server certificate and requires a client certificate
// signed by the test CA, as dockerd --tlsverify does.
class FakeTlsServer : public QTcpServer {
protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        const QString dir = QStringLiteral(PORTOLAN_TEST_DATA "/docker/tls/");
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setCaCertificates(QSslCertificate::fromPath(dir + QLatin1String("ca.pem")));
        config.setLocalCertificate(
            QSslCertificate::fromPath(dir + QLatin1String("server-cert.pem")).value(0));
        QFile key(dir + QLatin1String("server-key.pem"));
        key.open(QIODevice::ReadOnly);
        config.setPrivateKey(QSslKey(key.readAll(), QSsl::Rsa));
        config.setPeerVerifyMode(QSslSocket::VerifyPeer);
        socket->setSslConfiguration(config);
        addPendingConnection(socket);
        socket->startServerEncryption();
    }
};

// A stand-in for dockerd on a unix socket, plain TCP or TLS on 127.0.0.1. Each connection gets
// the next scripted reply (the last one repeats): its pieces are written with a pause between
// them, then the connection is closed unless the reply says to keep it open. A reply with no
// pieces never answers.
class FakeDockerDaemon : public QObject {
public:
    enum class Transport { Unix, Tcp, Tls };
    struct Reply {
        QList<QByteArray> pieces;
        int gapMs = 0;
        bool keepOpen = false;
    };

    explicit FakeDockerDaemon(Transport transport = Transport::Unix) : m_transport(transport)
    {
        if (transport == Transport::Unix) {
            m_path = m_dir.filePath(QStringLiteral("docker.sock"));
            QObject::connect(&m_local, &QLocalServer::newConnection, this, [this] {
                while (QLocalSocket *s = m_local.nextPendingConnection())
                    accept(s);
            });
            if (!m_local.listen(m_path))
                qFatal("FakeDockerDaemon cannot listen on %s", qPrintable(m_path));
            return;
        }
        QTcpServer *server = transport == Transport::Tls ? &m_tls : &m_tcp;
        QObject::connect(server, &QTcpServer::pendingConnectionAvailable, this, [this, server] {
            while (QTcpSocket *s = server->nextPendingConnection())
                accept(s);
        });
        if (!server->listen(QHostAddress::LocalHost))
            qFatal("FakeDockerDaemon cannot listen on 127.0.0.1");
        m_port = server->serverPort();
    }

    DockerEndpoint endpoint() const
    {
        DockerEndpoint e;
        if (m_transport == Transport::Unix) {
            e.socketPath = m_path;
            return e;
        }
        e.kind = DockerEndpoint::Kind::Tcp;
        e.host = QStringLiteral("127.0.0.1");
        e.port = m_port;
        if (m_transport == Transport::Tls) {
            e.tls = e.tlsVerify = true;
            e.certPath = QStringLiteral(PORTOLAN_TEST_DATA "/docker/tls");
        }
        return e;
    }
    void script(const QList<Reply> &replies) { m_replies = replies; }
    // Closes every connection from this side (as a restarted daemon would).
    void closeAll()
    {
        for (const QPointer<QIODevice> &socket : std::as_const(m_sockets)) {
            if (auto *local = qobject_cast<QLocalSocket *>(socket.data()))
                local->disconnectFromServer();
        }
    }
    QList<QByteArray> requests; // request heads as received
    int connections = 0;

private:
    void accept(QIODevice *socket)
    {
        ++connections;
        m_sockets.append(socket);
        auto buffer = std::make_shared<QByteArray>();
        if (auto *local = qobject_cast<QLocalSocket *>(socket))
            QObject::connect(local, &QLocalSocket::disconnected, local, &QObject::deleteLater);
        else if (auto *tcp = qobject_cast<QTcpSocket *>(socket))
            QObject::connect(tcp, &QTcpSocket::disconnected, tcp, &QObject::deleteLater);
        QObject::connect(socket, &QIODevice::readyRead, this, [this, socket, buffer] {
            buffer->append(socket->readAll());
            if (!buffer->contains("\r\n\r\n") || buffer->isNull())
                return;
            requests.append(buffer->left(buffer->indexOf("\r\n\r\n")));
            *buffer = QByteArray(); // answer once
            const Reply reply = m_replies.isEmpty()         ? Reply{}
                                : m_next < m_replies.size() ? m_replies.at(m_next++)
                                                            : m_replies.last();
            send(socket, reply, 0);
        });
    }

    void send(QPointer<QIODevice> socket, const Reply &reply, int index)
    {
        if (!socket)
            return;
        if (index >= reply.pieces.size()) {
            if (!reply.keepOpen && !reply.pieces.isEmpty()) {
                if (auto *local = qobject_cast<QLocalSocket *>(socket.data()))
                    local->disconnectFromServer();
                else if (auto *tcp = qobject_cast<QTcpSocket *>(socket.data()))
                    tcp->disconnectFromHost();
            }
            return;
        }
        socket->write(reply.pieces.at(index));
        QTimer::singleShot(reply.gapMs, this,
                           [this, socket, reply, index] { send(socket, reply, index + 1); });
    }

    Transport m_transport;
    QTemporaryDir m_dir;
    QString m_path;
    quint16 m_port = 0;
    QLocalServer m_local;
    QTcpServer m_tcp;
    FakeTlsServer m_tls;
    QList<Reply> m_replies;
    QList<QPointer<QIODevice>> m_sockets;
    int m_next = 0;
};

class TestDockerClient : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pingNegotiatesVersion_data();
    void pingNegotiatesVersion();
    void faults_data();
    void faults();
    void tcpAndTls_data();
    void tcpAndTls();
    void tcpRefused();
    void missingSocket();
    void refusedConnection();
    void requestsNegotiateFirstAndUseVersionPrefix();
    void inspectNotFound();
    void inspectsShareAKeptAliveConnection();
    void closedIdleConnectionIsReplaced();
    void callbackNotCalledAfterContextDestroyed();
    void clientDestroyedWithRequestInFlight();
    void eventsTarget();
    void eventStream_data();
    void eventStream();
    void eventStreamStopFromHandler();
    void eventStreamHeadersTimeout();
    void realDaemon();
    void realEventStream();
};

void TestDockerClient::pingNegotiatesVersion_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("error");
    QTest::newRow("1.41") << QByteArray("Api-Version: 1.41\r\n") << "v1.41"
                          << "";
    QTest::newRow("newer daemon 1.47") << QByteArray("API-VERSION: 1.47\r\n") << "v1.47"
                                       << "";
    QTest::newRow("minimum 1.24") << QByteArray("Api-Version: 1.24\r\n") << "v1.24"
                                  << "";
    QTest::newRow("too old 1.23") << QByteArray("Api-Version: 1.23\r\n") << ""
                                  << "older than the oldest Portolan supports (1.24)";
    QTest::newRow("missing") << QByteArray() << ""
                             << "did not send an Api-Version";
    QTest::newRow("unreadable") << QByteArray("Api-Version: one\r\n") << ""
                                << "unreadable Api-Version";
}

void TestDockerClient::pingNegotiatesVersion()
{
    QFETCH(QByteArray, header);
    QFETCH(QString, version);
    QFETCH(QString, error);
    FakeDockerDaemon daemon;
    daemon.script({{{"HTTP/1.1 200 OK\r\n" + header + "Content-Length: 2\r\n\r\nOK"}}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QVERIFY(!result); // never synchronous
    QTRY_VERIFY(result.has_value());
    QCOMPARE(client.apiVersion(), version);
    QVERIFY2(result->error.contains(error), qPrintable(result->error));
    QCOMPARE(result->ok(), error.isEmpty());
    QCOMPARE(result->status, 200);
    QCOMPARE(daemon.requests.size(), 1);
    QVERIFY(daemon.requests[0].startsWith("GET /_ping HTTP/1.1\r\nHost: docker\r\n"));
    QVERIFY(daemon.requests[0].contains("\r\nConnection: close"));
}

void TestDockerClient::faults_data()
{
    QTest::addColumn<QList<QByteArray>>("pieces");
    QTest::addColumn<bool>("keepOpen");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    const QByteArray ok = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n";
    QTest::newRow("never answers")
        << QList<QByteArray>{} << true << 0 << "no complete answer to GET /_ping within 0.5 s";
    QTest::newRow("stalls in headers")
        << QList<QByteArray>{ok} << true << 0 << "no complete answer to GET /_ping within 0.5 s";
    QTest::newRow("stalls in body")
        << QList<QByteArray>{ok + "Content-Length: 5\r\n\r\nO"} << true << 200 << "within 0.5 s";
    QTest::newRow("closes without answer")
        << QList<QByteArray>{""} << false << 0 << "closed before any response arrived";
    QTest::newRow("cut in body") << QList<QByteArray>{ok + "Content-Length: 10\r\n\r\n01234"}
                                 << false << 200 << "connection closed after 5 of 10 body bytes";
    QTest::newRow("cut mid-chunk")
        << QList<QByteArray>{ok + "Transfer-Encoding: chunked\r\n\r\n10\r\nabc"} << false << 200
        << "before the last chunk";
    QTest::newRow("oversized header")
        << QList<QByteArray>{ok + "X-Big: " + QByteArray(9000, 'x') + "\r\n\r\n"} << true << 0
        << "sent an invalid HTTP response to GET /_ping: header line is longer than 8192 bytes";
    QTest::newRow("too many headers")
        << QList<QByteArray>{ok + QByteArray("X: y\r\n").repeated(120) + "\r\n"} << true << 0
        << "more than 100 header fields";
    QTest::newRow("not http") << QList<QByteArray>{"SSH-2.0-OpenSSH_9.2\r\n"} << true << 0
                              << "invalid HTTP response to GET /_ping: malformed status line";
    QTest::newRow("server error") << QList<QByteArray>{response(500, "Internal Server Error",
                                                                "{\"message\":\"boom\"}")}
                                  << false << 500
                                  << "answered 500 Internal Server Error to GET /_ping: boom";
}

void TestDockerClient::faults()
{
    QFETCH(QList<QByteArray>, pieces);
    QFETCH(bool, keepOpen);
    QFETCH(int, status);
    QFETCH(QString, error);
    FakeDockerDaemon daemon;
    daemon.script({{pieces, 0, keepOpen}});
    DockerClient client(daemon.endpoint());
    client.setTimeout(500);
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 3000);
    QVERIFY(!result->ok());
    QVERIFY2(result->error.startsWith(QStringLiteral("Docker at unix://")),
             qPrintable(result->error));
    QVERIFY2(result->error.contains(error), qPrintable(result->error));
    QCOMPARE(result->status, status);
    QVERIFY(client.apiVersion().isEmpty());
}

void TestDockerClient::tcpAndTls_data()
{
    QTest::addColumn<int>("transport");
    QTest::addColumn<QString>("certPath"); // overrides the endpoint's when set
    QTest::addColumn<QString>("error");
    const int tcp = int(FakeDockerDaemon::Transport::Tcp);
    const int tls = int(FakeDockerDaemon::Transport::Tls);
    QTest::newRow("tcp") << tcp << ""
                         << "";
    QTest::newRow("tls with client certificate") << tls << ""
                                                 << "";
    QTest::newRow("tls with an unknown CA") << tls << "wrong-ca"
                                            << "TLS handshake failed";
}

void TestDockerClient::tcpAndTls()
{
    QFETCH(int, transport);
    QFETCH(QString, certPath);
    QFETCH(QString, error);
    if (transport == int(FakeDockerDaemon::Transport::Tls) && !QSslSocket::supportsSsl())
        QSKIP("Qt has no TLS backend here");
    FakeDockerDaemon daemon(static_cast<FakeDockerDaemon::Transport>(transport));
    daemon.script({{{fixture("ping_response.http")}}, {{response(200, "OK", "[]")}}});
    DockerEndpoint e = daemon.endpoint();
    QTemporaryDir wrong;
    if (certPath == QLatin1String("wrong-ca")) {
        // The client's own CA file names a CA that did not sign the server certificate.
        QFile::copy(e.certPath + QLatin1String("/cert.pem"), wrong.filePath("cert.pem"));
        QFile::copy(e.certPath + QLatin1String("/key.pem"), wrong.filePath("key.pem"));
        QFile::copy(e.certPath + QLatin1String("/cert.pem"), wrong.filePath("ca.pem"));
        e.certPath = wrong.path();
    }
    DockerClient client(e);
    std::optional<DockerResult> result;
    client.listContainers(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
    if (error.isEmpty()) {
        QVERIFY2(result->ok(), qPrintable(result->error));
        QVERIFY(result->json.isArray());
        QCOMPARE(daemon.requests.size(), 2);
        QVERIFY(daemon.requests[1].startsWith("GET /v1.41/containers/json HTTP/1.1\r\n"));
    } else {
        QVERIFY2(result->error.startsWith(
                     QStringLiteral("Docker at tcp://127.0.0.1:%1 (TLS): ").arg(e.port)),
                 qPrintable(result->error));
        QVERIFY2(result->error.contains(error), qPrintable(result->error));
    }
}

void TestDockerClient::tcpRefused()
{
    QTcpServer probe; // a port that was free a moment ago
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    DockerEndpoint e;
    e.kind = DockerEndpoint::Kind::Tcp;
    e.host = QStringLiteral("127.0.0.1");
    e.port = probe.serverPort();
    probe.close();
    DockerClient client(e);
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QCOMPARE(result->error,
             QStringLiteral("Docker at tcp://127.0.0.1:%1: connection refused").arg(e.port));
}

void TestDockerClient::missingSocket()
{
    QTemporaryDir dir;
    DockerEndpoint e;
    e.socketPath = dir.filePath(QStringLiteral("absent.sock"));
    DockerClient client(e);
    std::optional<DockerResult> result;
    client.listContainers(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QCOMPARE(result->error, QStringLiteral("Docker at unix://%1: no socket at that path (is "
                                           "dockerd running?)")
                                .arg(e.socketPath));
}

void TestDockerClient::refusedConnection()
{
    // A socket file nobody listens on, as dockerd leaves behind when it is killed.
    QTemporaryDir dir;
    const QByteArray path = dir.filePath(QStringLiteral("stale.sock")).toLocal8Bit();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    qstrncpy(addr.sun_path, path.constData(), sizeof(addr.sun_path));
    QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
    DockerEndpoint e;
    e.socketPath = QString::fromLocal8Bit(path);
    DockerClient client(e);
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    ::close(fd);
    QCOMPARE(result->error, QStringLiteral("Docker at unix://%1: connection refused (is dockerd "
                                           "running?)")
                                .arg(e.socketPath));
}

void TestDockerClient::requestsNegotiateFirstAndUseVersionPrefix()
{
    FakeDockerDaemon daemon;
    const QByteArray list = "[{\"Id\":\"abc\",\"Names\":[\"/redis.1\"]}]";
    daemon.script({{{"HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Length: 2\r\n\r\nOK"}},
                   {{response(200, "OK", list)}},
                   {{response(200, "OK", fixture("version.json"))}}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.listContainers(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error));
    QCOMPARE(result->json.array().size(), 1);
    QCOMPARE(client.apiVersion(), QStringLiteral("v1.43"));
    QCOMPARE(daemon.requests.size(), 2);
    QVERIFY(daemon.requests[1].startsWith("GET /v1.43/containers/json HTTP/1.1\r\n"));

    result.reset();
    client.version(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->ok());
    QCOMPARE(result->json.object().value("ApiVersion").toString(), QStringLiteral("1.41"));
    QCOMPARE(daemon.connections, 3); // one connection per request
}

static const QByteArray PingReply =
    "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK";

void TestDockerClient::inspectsShareAKeptAliveConnection()
{
    FakeDockerDaemon daemon;
    daemon.script({{{PingReply}, 0, true}, {{response(200, "OK", "{\"Id\":\"abc\"}")}, 0, true}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->ok());
    for (int i = 0; i < 3; ++i) {
        result.reset();
        client.inspectContainer(QStringLiteral("c%1").arg(i), this,
                                [&](const DockerResult &r) { result = r; });
        QTRY_VERIFY(result.has_value());
        QVERIFY2(result->ok(), qPrintable(result->error));
        QCOMPARE(result->json.object().value("Id").toString(), QStringLiteral("abc"));
    }
    QCOMPARE(daemon.requests.size(), 4);
    QVERIFY(daemon.requests[0].contains("Connection: close")); // the ping has its own
    QVERIFY(daemon.requests[3].startsWith("GET /v1.41/containers/c2/json HTTP/1.1\r\n"));
    QVERIFY(!daemon.requests[3].contains("Connection: close"));
    QCOMPARE(daemon.connections, 2); // the ping's, and one for the three inspects
}

void TestDockerClient::closedIdleConnectionIsReplaced()
{
    FakeDockerDaemon daemon;
    daemon.script({{{PingReply}, 0, true}, {{response(200, "OK", "{\"Id\":\"abc\"}")}, 0, true}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    result.reset();
    client.inspectContainer(QStringLiteral("c1"), this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->ok());
    // The daemon closes the idle connection, and the next inspect goes out before the client
    // has noticed: it must be sent again on a new connection, not fail.
    daemon.closeAll();
    result.reset();
    client.inspectContainer(QStringLiteral("c2"), this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error));
    QCOMPARE(daemon.connections, 3);
    QVERIFY(daemon.requests.last().startsWith("GET /v1.41/containers/c2/json HTTP/1.1\r\n"));

    // Once the client has seen the close, the connection is simply not reused.
    daemon.closeAll();
    QTest::qWait(50);
    result.reset();
    client.inspectContainer(QStringLiteral("c3"), this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error));
    QCOMPARE(daemon.connections, 4);
}

void TestDockerClient::inspectNotFound()
{
    FakeDockerDaemon daemon;
    daemon.script({{{fixture("ping_response.http")}}, {{fixture("inspect_404_response.http")}}});
    DockerClient client(daemon.endpoint());
    std::optional<DockerResult> result;
    client.inspectContainer(QStringLiteral("does not/exist"), this,
                            [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QVERIFY(result->notFound());
    QVERIFY(!result->ok());
    QVERIFY2(result->error.contains(QStringLiteral("answered 404 Not Found to GET "
                                                   "/v1.41/containers/does%20not%2Fexist/json: "
                                                   "No such container: doesnotexist")),
             qPrintable(result->error));
}

void TestDockerClient::callbackNotCalledAfterContextDestroyed()
{
    FakeDockerDaemon daemon;
    daemon.script({{{fixture("ping_response.http")}, 200}});
    DockerClient client(daemon.endpoint());
    auto *context = new QObject;
    bool called = false;
    bool otherCalled = false;
    client.ping(context, [&](const DockerResult &) { called = true; });
    client.ping(this, [&](const DockerResult &) { otherCalled = true; });
    delete context;
    QTRY_VERIFY(otherCalled);
    QTest::qWait(100);
    QVERIFY(!called);
    QCOMPARE(client.apiVersion(), QStringLiteral("v1.41")); // negotiation still counts

    // The same while negotiation runs first: the follow-up request must not call back either.
    FakeDockerDaemon slow; // answers the ping at once and the list only after 300 ms
    slow.script(
        {{{fixture("ping_response.http")}}, {{QByteArray(), response(200, "OK", "[]")}, 300}});
    DockerClient fresh(slow.endpoint());
    context = new QObject;
    fresh.listContainers(context, [&](const DockerResult &) { called = true; });
    QTimer::singleShot(50, context, [context] { delete context; });
    QTRY_VERIFY(!fresh.apiVersion().isEmpty());
    QTRY_COMPARE(slow.requests.size(), 2);
    QTest::qWait(500);
    QVERIFY(!called);
}

void TestDockerClient::clientDestroyedWithRequestInFlight()
{
    FakeDockerDaemon daemon;
    daemon.script({{{fixture("ping_response.http")}, 0, false}});
    auto *client = new DockerClient(daemon.endpoint());
    bool called = false;
    client->ping(this, [&](const DockerResult &) { called = true; });
    delete client;
    QTest::qWait(200);
    QVERIFY(!called);
}

void TestDockerClient::eventsTarget()
{
    QCOMPARE(DockerEventStream::eventsTarget(QStringLiteral("v1.41")),
             QByteArray("/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22"
                        "%3A%5B%22start%22%2C%22die%22%2C%22kill%22%2C%22health_status%22%5D%7D"));
}

void TestDockerClient::eventStream_data()
{
    QTest::addColumn<QList<QByteArray>>("pieces");
    QTest::addColumn<int>("maxLine");
    QTest::addColumn<bool>("opened");
    QTest::addColumn<QStringList>("actions"); // Action of each event, in order
    QTest::addColumn<QString>("error");

    const QByteArray start = R"({"Type":"container","Action":"start","Actor":{"ID":"a1"}})";
    const QByteArray die = R"({"Type":"container","Action":"die","Actor":{"ID":"a1"}})";
    QTest::newRow("lines span chunks and writes")
        << QList<QByteArray>{StreamHeaders,
                             chunk(start.left(10)),
                             chunk(start.mid(10)) + chunk("\n" + die.left(5)).left(4),
                             chunk("\n" + die.left(5)).mid(4),
                             chunk(die.mid(5) + "\n"),
                             "0\r\n\r\n"}
        << 1024 * 1024 << true << QStringList{"start", "die"} << "ended the event stream";
    QTest::newRow("two events in one chunk")
        << QList<QByteArray>{StreamHeaders + chunk(start + "\n" + die + "\n") + "0\r\n\r\n"}
        << 1024 * 1024 << true << QStringList{"start", "die"} << "ended the event stream";
    int realEvents = fixture("events_stream_cut.http").count("\n{");
    QStringList realActions;
    for (int i = 0; i < realEvents; ++i)
        realActions << QString();
    QTest::newRow("dockerd shutdown cuts the stream")
        << QList<QByteArray>{fixture("events_stream_cut.http")} << 1024 * 1024 << true
        << realActions << "before the last chunk";
    // An over-long event is dropped, its rest never buffered, and the stream goes on.
    QTest::newRow("line too long")
        << QList<QByteArray>{StreamHeaders,
                             chunk(start + "\n"),
                             chunk(QByteArray(101, ' ')),
                             chunk(QByteArray(300, ' ')),
                             chunk("}\n" + die + "\n"),
                             "0\r\n\r\n"}
        << 100 << true << QStringList{"start", "die"} << "ended the event stream";
    QTest::newRow("line too long in one chunk")
        << QList<QByteArray>{StreamHeaders,
                             chunk("{" + QByteArray(200, ' ') + "}\n" + start + "\n"), "0\r\n\r\n"}
        << 100 << true << QStringList{"start"} << "ended the event stream";
    QTest::newRow("invalid json") << QList<QByteArray>{StreamHeaders, chunk("{\"Type\":\n")}
                                  << 1024 * 1024 << true << QStringList{} << "not a JSON object";
    QTest::newRow("json array") << QList<QByteArray>{StreamHeaders, chunk("[1]\n")} << 1024 * 1024
                                << true << QStringList{} << "not a JSON object";
    QTest::newRow("http framing error")
        << QList<QByteArray>{StreamHeaders, chunk(start + "\n"), "zz\r\n"} << 1024 * 1024 << true
        << QStringList{"start"} << "malformed chunk size";
    QTest::newRow("version rejected")
        << QList<QByteArray>{fixture("version_too_new_response.http")} << 1024 * 1024 << false
        << QStringList{} << "answered 400 to the event stream request: client version 9.99";
}

void TestDockerClient::eventStream()
{
    QFETCH(QList<QByteArray>, pieces);
    QFETCH(int, maxLine);
    QFETCH(bool, opened);
    QFETCH(QStringList, actions);
    QFETCH(QString, error);
    FakeDockerDaemon daemon;
    daemon.script({{pieces, 20}});
    DockerEventStream stream(daemon.endpoint());
    stream.setMaxLineBytes(maxLine);
    QSignalSpy openedSpy(&stream, &DockerEventStream::opened);
    QSignalSpy closedSpy(&stream, &DockerEventStream::closed);
    QSignalSpy droppedSpy(&stream, &DockerEventStream::eventDropped);
    QStringList got;
    connect(&stream, &DockerEventStream::eventReceived, this, [&](const ContainerEvent &e) {
        QCOMPARE(e.type, QStringLiteral("container"));
        got << e.action;
    });
    stream.start(QStringLiteral("v1.41"));
    QVERIFY(stream.isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(closedSpy.size(), 1, 5000);
    QVERIFY(!stream.isRunning());
    QCOMPARE(openedSpy.size(), opened ? 1 : 0);
    const QString message = closedSpy.at(0).at(0).toString();
    QVERIFY2(message.contains(error), qPrintable(message));
    QVERIFY(message.startsWith(QStringLiteral("Docker at unix://")));
    QCOMPARE(got.size(), actions.size());
    for (int i = 0; i < actions.size(); ++i)
        if (!actions[i].isEmpty())
            QCOMPARE(got[i], actions[i]);
    QVERIFY(daemon.requests.value(0).startsWith("GET " + DockerEventStream::eventsTarget("v1.41") +
                                                " HTTP/1.1\r\n"));
    QTest::qWait(50);
    QCOMPARE(closedSpy.size(), 1); // exactly once
    const bool tooLong = QByteArray(QTest::currentDataTag()).startsWith("line too long");
    QCOMPARE(droppedSpy.size(), tooLong ? 1 : 0);
    if (tooLong) {
        QVERIFY(droppedSpy.at(0).at(0).toString().contains(
            QStringLiteral("sent an event longer than 100 bytes; it was dropped")));
    }
}

void TestDockerClient::eventStreamStopFromHandler()
{
    FakeDockerDaemon daemon;
    const QByteArray e = R"({"Type":"container","Action":"start","Actor":{"ID":"a1"}})";
    daemon.script({{{StreamHeaders + chunk(e + "\n" + e + "\n" + e + "\n")}, 0, true}});
    auto *stream = new DockerEventStream(daemon.endpoint());
    QSignalSpy closedSpy(stream, &DockerEventStream::closed);
    int events = 0;
    connect(stream, &DockerEventStream::eventReceived, this, [&] {
        ++events;
        delete stream; // the owner may destroy the stream from a handler
    });
    stream->start(QStringLiteral("v1.41"));
    QTRY_COMPARE(events, 1);
    QTest::qWait(100);
    QCOMPARE(events, 1);
}

void TestDockerClient::eventStreamHeadersTimeout()
{
    FakeDockerDaemon daemon;
    daemon.script({{{}, 0, true}});
    DockerEventStream stream(daemon.endpoint());
    stream.setTimeout(300);
    QSignalSpy closedSpy(&stream, &DockerEventStream::closed);
    stream.start(QStringLiteral("v1.41"));
    QTRY_COMPARE(closedSpy.size(), 1);
    QVERIFY(closedSpy.at(0).at(0).toString().contains(QStringLiteral("within 0.3 s")));

    // Once open, a silent stream is fine: no timeout after the headers.
    FakeDockerDaemon quiet;
    quiet.script({{{StreamHeaders}, 0, true}});
    DockerEventStream open(quiet.endpoint());
    open.setTimeout(200);
    QSignalSpy openedSpy(&open, &DockerEventStream::opened);
    QSignalSpy closedQuiet(&open, &DockerEventStream::closed);
    open.start(QStringLiteral("v1.41"));
    QTRY_COMPARE(openedSpy.size(), 1);
    QTest::qWait(600);
    QCOMPARE(closedQuiet.size(), 0);
    open.stop();
    QTest::qWait(50);
    QCOMPARE(closedQuiet.size(), 0); // stop() is not reported as closed
}

static DockerEndpoint realEndpoint()
{
    DockerEndpoint e;
    e.socketPath = qEnvironmentVariable("PORTOLAN_TEST_DOCKER_SOCK");
    return e;
}

void TestDockerClient::realDaemon()
{
    if (qEnvironmentVariableIsEmpty("PORTOLAN_TEST_DOCKER_SOCK"))
        QSKIP("PORTOLAN_TEST_DOCKER_SOCK is not set: no real dockerd to test against (the "
              "integration harness sets it to a private daemon's socket)");
    DockerClient client(realEndpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY2(result->ok(), qPrintable(result->error));
    QVERIFY(
        QRegularExpression(QStringLiteral("^v1\\.[0-9]+$")).match(client.apiVersion()).hasMatch());

    result.reset();
    client.listContainers(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY2(result->ok(), qPrintable(result->error));
    QVERIFY(result->json.isArray());

    result.reset();
    client.version(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY(result->ok());
    QVERIFY(!result->json.object().value("ApiVersion").toString().isEmpty());

    result.reset();
    client.inspectContainer(QStringLiteral("portolan-no-such-container"), this,
                            [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY(result->notFound());
    QVERIFY2(result->error.contains(QStringLiteral("No such container")),
             qPrintable(result->error));
}

void TestDockerClient::realEventStream()
{
    if (qEnvironmentVariableIsEmpty("PORTOLAN_TEST_DOCKER_SOCK"))
        QSKIP("PORTOLAN_TEST_DOCKER_SOCK is not set: no real dockerd to test against");
    DockerClient client(realEndpoint());
    std::optional<DockerResult> result;
    client.ping(this, [&](const DockerResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
    QVERIFY2(result->ok(), qPrintable(result->error));

    DockerEventStream stream(realEndpoint());
    QSignalSpy openedSpy(&stream, &DockerEventStream::opened);
    QSignalSpy closedSpy(&stream, &DockerEventStream::closed);
    QList<ContainerEvent> events;
    connect(&stream, &DockerEventStream::eventReceived, this,
            [&](const ContainerEvent &e) { events.append(e); });
    stream.start(client.apiVersion());
    QTRY_COMPARE_WITH_TIMEOUT(openedSpy.size(), 1, 10000);

    // Starting a container needs an image; the harness names one that runs until stopped.
    const QString image = qEnvironmentVariable("PORTOLAN_TEST_DOCKER_IMAGE");
    const QString docker = QStandardPaths::findExecutable(QStringLiteral("docker"));
    if (image.isEmpty() || docker.isEmpty())
        QSKIP("stream opened; set PORTOLAN_TEST_DOCKER_IMAGE (and have the docker CLI) to also "
              "check start/die events");
    const QStringList host{QStringLiteral("-H"),
                           QStringLiteral("unix://") + realEndpoint().socketPath};
    QProcess run;
    run.start(docker, host + QStringList{QStringLiteral("run"), QStringLiteral("-d"), image});
    QVERIFY(run.waitForFinished(30000));
    const QString id = QString::fromLatin1(run.readAllStandardOutput()).trimmed();
    QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
    QProcess rm;
    rm.start(docker, host + QStringList{QStringLiteral("rm"), QStringLiteral("-f"), id});
    QVERIFY(rm.waitForFinished(30000));
    auto seen = [&](const char *action) {
        for (const ContainerEvent &e : events)
            if (e.action == QLatin1String(action) && e.containerId == id)
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(seen("start") && seen("die"), 10000);
    QCOMPARE(closedSpy.size(), 0);
}

QTEST_GUILESS_MAIN(TestDockerClient)
#include "tst_dockerclient.moc"
