// FeedServer's protections on 127.0.0.1: the token, refusals to listen, the compiled-in page
// with its security headers, GET only, and TLS.
#include "FeedServerTestSupport.h"

#include <QFile>
#include <QProcess>
#include <QSslConfiguration>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QByteArray kToken = "s3cret-feed-token";

} // namespace

class TestFeedServerSecurity : public FeedServerTestCase {
    Q_OBJECT
private Q_SLOTS:
    void init() { FeedServerTestCase::init(); }
    void cleanup() { FeedServerTestCase::cleanup(); }
    void tokenIsRequiredWhenConfigured();
    void listenRefusals();
    void servesThePageWithSecurityHeaders();
    void onlyGetIsAllowed();
    void servesOverTls();
};

void TestFeedServerSecurity::tokenIsRequiredWhenConfigured()
{
    FeedServerOptions options;
    options.token = kToken;
    start(options);

    QCOMPARE(request("GET", "/api/v1/hosts").status, 401);
    QCOMPARE(request("GET", "/api/v1/hosts", {{"Authorization", "Bearer wrong"}}).status, 401);
    QCOMPARE(request("GET", "/api/v1/hosts?token=wrong").status, 401);
    // The page and its assets hold no data: they load without a token and ask for one.
    QCOMPARE(request("GET", "/").status, 200);
    QCOMPARE(request("GET", "/assets/app.js").status, 200);
    const HttpResult unauthorized = request("GET", "/api/v1/snapshot");
    QVERIFY(unauthorized.headers.value("www-authenticate").startsWith("Bearer"));
    QVERIFY(!unauthorized.body.contains("services"));
    QCOMPARE(request("GET", "/api/v1/hosts", {{"Authorization", "Bearer " + kToken}}).status, 200);
    QCOMPARE(request("GET", "/api/v1/hosts?token=" + kToken).status, 200);

    // Refused before the upgrade: no WebSocket, no data.
    FeedTestClient refused;
    QSignalSpy refusedError(&refused.socket,
                            QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error));
    refused.socket.open(url("/ws", "ws"));
    QTRY_VERIFY(!refusedError.isEmpty() || refused.disconnected);
    QVERIFY(refused.messages.isEmpty());
    QCOMPARE(m_server->clientCount(), 0);

    FeedTestClient byQuery;
    QVERIFY(openClient(byQuery, "/ws?token=" + kToken));
    QTRY_COMPARE(byQuery.messages.size(), 3);

    FeedTestClient byHeader;
    QNetworkRequest upgrade(url("/ws", "ws"));
    upgrade.setRawHeader("Authorization", "Bearer " + kToken);
    QSignalSpy connected(&byHeader.socket, &QWebSocket::connected);
    byHeader.socket.open(upgrade);
    QVERIFY(connected.wait(5000));
    QTRY_COMPARE(byHeader.messages.size(), 3);
    QCOMPARE(m_server->clientCount(), 2);

    QVERIFY(FeedServer::tokensEqual(kToken, kToken));
    QVERIFY(!FeedServer::tokensEqual(kToken + "x", kToken));
    QVERIFY(!FeedServer::tokensEqual({}, kToken));
    QVERIFY(!FeedServer::tokensEqual({}, {}));
}

void TestFeedServerSecurity::listenRefusals()
{
    const auto refusal = [this](FeedServerOptions options) {
        FeedServer server(m_state.get(), options);
        return server.listen();
    };
    FeedServerOptions open;
    open.address = QStringLiteral("0.0.0.0");
    open.port = 8080;
    QCOMPARE(refusal(open),
             QStringLiteral("refusing to serve the feed on 0.0.0.0:8080 without -feed-token-file"));

    FeedServerOptions name;
    name.address = QStringLiteral("feed.example");
    QVERIFY(refusal(name).contains("is not an IP address"));

    QTcpServer occupier;
    QVERIFY(occupier.listen(QHostAddress::LocalHost));
    FeedServerOptions busy;
    busy.port = occupier.serverPort();
    const QString busyError = refusal(busy);
    QVERIFY2(busyError.startsWith(
                 QStringLiteral("cannot serve the feed on 127.0.0.1:%1: ").arg(busy.port)),
             qPrintable(busyError));

    FeedServerOptions tls;
    tls.certFile = QStringLiteral("/nonexistent/feed.crt");
    tls.keyFile = QStringLiteral("/nonexistent/feed.key");
    QVERIFY(refusal(tls).startsWith("cannot read the feed certificate /nonexistent/feed.crt"));

    QString error;
    QVERIFY(!FeedServer::readTokenFile(QStringLiteral("/nonexistent/token"), &error));
    QVERIFY(error.contains("/nonexistent/token"));
    QTemporaryDir dir;
    QFile file(dir.filePath("token"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(kToken + "\n");
    file.close();
    QCOMPARE(FeedServer::readTokenFile(file.fileName(), &error).value_or(QByteArray()), kToken);
}

void TestFeedServerSecurity::servesThePageWithSecurityHeaders()
{
    start();
    QVERIFY(QFile::exists(QStringLiteral(":/web/index.html")));
    const HttpResult page = request("GET", "/");
    QCOMPARE(page.status, 200);
    QCOMPARE(page.headers.value("content-type"), QByteArray("text/html; charset=utf-8"));
    QVERIFY(page.body.toLower().startsWith("<!doctype html"));
    QCOMPARE(request("GET", "/index.html").body, page.body);
    QCOMPARE(page.headers.value("content-security-policy"),
             QByteArray("default-src 'self'; connect-src 'self' ws: wss:"));
    QCOMPARE(page.headers.value("x-content-type-options"), QByteArray("nosniff"));

    QVERIFY(QFile::exists(QStringLiteral(":/web/assets/app.js")));
    const HttpResult script = request("GET", "/assets/app.js");
    QCOMPARE(script.status, 200);
    QCOMPARE(script.headers.value("content-type"), QByteArray("text/javascript; charset=utf-8"));
    QCOMPARE(script.headers.value("cache-control"), QByteArray("no-cache"));
    QFile source(QStringLiteral(":/web/assets/app.js"));
    QVERIFY(source.open(QIODevice::ReadOnly));
    QCOMPARE(script.body, source.readAll());
    const QByteArray etag = script.headers.value("etag");
    QVERIFY(!etag.isEmpty());
    QCOMPARE(request("GET", "/assets/app.js", {{"If-None-Match", etag}}).status, 304);
    QCOMPARE(request("GET", "/assets/style.css").headers.value("content-type"),
             QByteArray("text/css; charset=utf-8"));

    QCOMPARE(request("GET", "/assets/../../../etc/passwd").status, 404);
    QCOMPARE(request("GET", "/assets/%2e%2e/%2e%2e/etc/passwd").status, 404);
    QCOMPARE(request("GET", "/nope.html").status, 404);
    QCOMPARE(request("GET", "/a%0Ab").status, 404);
    QCOMPARE(request("GET", "/ws").status, 426);
}

void TestFeedServerSecurity::onlyGetIsAllowed()
{
    start();
    for (const QByteArray verb : {"POST", "PUT", "DELETE", "PATCH"}) {
        const HttpResult result = request(verb, "/api/v1/hosts");
        QCOMPARE(result.status, 405);
        QCOMPARE(result.headers.value("allow"), QByteArray("GET, HEAD"));
    }
    QCOMPARE(request("POST", "/").status, 405);
    QCOMPARE(m_state->services().size(), 2);
}

void TestFeedServerSecurity::servesOverTls()
{
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty())
        QSKIP("openssl is needed to make a test certificate");
    QTemporaryDir dir;
    const QString cert = dir.filePath("feed.crt"), key = dir.filePath("feed.key");
    QProcess make;
    make.start(openssl, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                         "/CN=127.0.0.1", "-keyout", key, "-out", cert});
    QVERIFY(make.waitForFinished(30000));
    QCOMPARE(make.exitCode(), 0);

    FeedServerOptions options;
    options.certFile = cert;
    options.keyFile = key;
    options.headDeadlineMs = 500;
    start(options);
    QVERIFY(m_server->isTls());

    // A peer that opens TCP and never starts its TLS handshake is cut at the head deadline.
    QTcpSocket silent;
    silent.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(silent.waitForConnected(5000));
    // Qt's own default is 5 s: within 3 s only our deadline can have cut it.
    QTRY_COMPARE_WITH_TIMEOUT(silent.state(), QAbstractSocket::UnconnectedState, 3000);
    QVERIFY(m_server->url().startsWith("https://127.0.0.1:"));

    QSslConfiguration trustAll = QSslConfiguration::defaultConfiguration();
    trustAll.setPeerVerifyMode(QSslSocket::VerifyNone);
    FeedTestClient client;
    client.socket.setSslConfiguration(trustAll);
    QSignalSpy connected(&client.socket, &QWebSocket::connected);
    client.socket.open(url("/ws", "wss"));
    QVERIFY(connected.wait(5000));
    QTRY_COMPARE(client.messages.size(), 3);
    QCOMPARE(client.messages.at(1).value("services").toArray().size(), 2);

    QNetworkRequest req(url("/api/v1/hosts", "https"));
    req.setSslConfiguration(trustAll);
    QNetworkReply *reply = m_network.get(req);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(5000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(TestFeedServerSecurity)
#include "tst_feedserver_security.moc"
