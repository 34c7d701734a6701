// DockerClient reaching dockerd, against FakeDockerDaemon: API version negotiation, answers that
// stall, break off or are not HTTP, TCP and TLS, and sockets that refuse or are missing.
#include "DockerClientTestSupport.h"

#include <QTest>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

class TestDockerClientTransport : public QObject {
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
};

void TestDockerClientTransport::pingNegotiatesVersion_data()
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

void TestDockerClientTransport::pingNegotiatesVersion()
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

void TestDockerClientTransport::faults_data()
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

void TestDockerClientTransport::faults()
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

void TestDockerClientTransport::tcpAndTls_data()
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

void TestDockerClientTransport::tcpAndTls()
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

void TestDockerClientTransport::tcpRefused()
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

void TestDockerClientTransport::missingSocket()
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

void TestDockerClientTransport::refusedConnection()
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

QTEST_GUILESS_MAIN(TestDockerClientTransport)
#include "tst_dockerclient_transport.moc"
