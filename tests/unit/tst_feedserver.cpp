// FeedServer against real sockets on 127.0.0.1: the WebSocket feed, the JSON API, the token,
// garbage frames, a client that never reads, the compiled-in page, and TLS.
#include "EtcdTestServer.h"
#include "cluster/ClusterState.h"
#include "cluster/KeyTree.h"
#include "etcd/EtcdClient.h"
#include "feed/FeedServer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <memory>
#include <vector>

namespace {

const QByteArray kToken = "s3cret-feed-token";

HostRecord hostRecord(const QString &hostname)
{
    HostRecord h;
    h.hostname = hostname;
    h.address = "10.0.0.5";
    h.agentVersion = "0.1.0";
    h.dockerVersion = "20.10.24";
    h.feedUrl = "http://10.0.0.5:8080/";
    h.startedAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0), Qt::UTC);
    return h;
}

QByteArray hostValue(const QString &hostname)
{
    return hostRecord(hostname).toEtcdValue();
}

ServiceRecord service(const QString &host, const QString &name, const QString &container, int port,
                      const QString &env = QStringLiteral("prod"))
{
    ServiceRecord s;
    s.id = QStringLiteral("%1:%2:6379").arg(host, container);
    s.key = Keyspace().serviceKey(host, s.id);
    s.name = name;
    s.host = host;
    s.ip = "10.0.0.5";
    s.port = port;
    s.protocol = "tcp";
    s.tags = QStringList{"db"};
    s.attributes = {{"env", env}};
    s.containerId = "8f1c0000";
    s.containerName = container;
    s.image = "example/" + name + ":latest";
    s.registryKey = QStringLiteral("/services/%1/%2").arg(name, s.id);
    s.registeredAt = QDateTime(QDate(2026, 11, 27), QTime(5, 0, 1), Qt::UTC);
    return s;
}

// The picture after one listing at `revision`: core-01 and `services`.
ClusterSnapshot listing(const QList<ServiceRecord> &services, qint64 revision)
{
    ClusterSnapshot snapshot;
    snapshot.revision = revision;
    snapshot.hosts.append({hostRecord("core-01"), 0});
    for (const ServiceRecord &s : services)
        snapshot.services.append({s, 0});
    return snapshot;
}

struct HttpResult {
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QHash<QByteArray, QByteArray> headers; // lower-case names
};

// A WebSocket client that records what it receives.
struct FeedTestClient {
    QWebSocket socket;
    QList<QJsonObject> messages;
    bool disconnected = false;

    FeedTestClient()
    {
        QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket,
                         [this](const QString &text) {
                             messages.append(QJsonDocument::fromJson(text.toUtf8()).object());
                         });
        QObject::connect(&socket, &QWebSocket::disconnected, &socket,
                         [this] { disconnected = true; });
    }
    QList<QJsonObject> ofType(const QString &type) const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &message : messages) {
            if (message.value("type").toString() == type)
                found.append(message);
        }
        return found;
    }
};

} // namespace

class TestFeedServer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void webSocketGetsHelloSnapshotThenDeltas();
    void balancersAreInTheSnapshotAndSentAsTheyChange();
    void pingAndResync();
    void clientsShareOneSnapshotPerRevision();
    void jsonEndpoints_data();
    void jsonEndpoints();
    void treeAndKeyGoThroughProviders();
    void treeAndKeyFromARealEtcd();
    void keysOutsideTheScopeAreRefused();
    void tokenIsRequiredWhenConfigured();
    void listenRefusals();
    void garbageFramesCloseWithDocumentedCodes_data();
    void garbageFramesCloseWithDocumentedCodes();
    void invalidUtf8ClosesWith1007();
    void clientThatNeverReadsStaysBounded();
    void servesThePageWithSecurityHeaders();
    void onlyGetIsAllowed();
    void servesOverTls();
    void idleHttpConnectionsAreCut();
    void connectionsOverTheLimitAreRefused();
    void silentWebSocketPeerIsCut();
    void stalledServerDoesNotCutItsClients();

private:
    void start(FeedServerOptions options = {});
    QUrl url(const QString &pathAndQuery, const QString &scheme = QStringLiteral("http")) const;
    HttpResult request(const QByteArray &verb, const QString &pathAndQuery,
                       const QList<std::pair<QByteArray, QByteArray>> &headers = {});
    bool openClient(FeedTestClient &client, const QString &pathAndQuery = QStringLiteral("/ws"));
    // The upgrade by hand, for what a QWebSocket client would never send or would always read.
    bool rawUpgrade(QTcpSocket &raw);
    // Puts each key (a host record as its value) into a real etcd and waits for all of them.
    void putAll(EtcdClient &client, const QList<QByteArray> &keys);

    std::unique_ptr<ClusterState> m_state;
    std::unique_ptr<FeedServer> m_server;
    QNetworkAccessManager m_network;
};

void TestFeedServer::init()
{
    m_state = std::make_unique<ClusterState>(QStringLiteral("/portolan"));
    m_state->resetToSnapshot(listing({service("core-01", "redis", "redis.1", 49153),
                                      service("core-01", "nginx", "nginx.1", 49154)},
                                     12));
    m_state->setStatus(ClusterState::Status::Ready);
}

void TestFeedServer::cleanup()
{
    m_server.reset();
    m_state.reset();
}

void TestFeedServer::start(FeedServerOptions options)
{
    options.agentVersion = QStringLiteral("0.1.0");
    options.hostname = QStringLiteral("core-01");
    m_server = std::make_unique<FeedServer>(m_state.get(), options);
    const QString error = m_server->listen();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(m_server->serverPort() != 0);
}

QUrl TestFeedServer::url(const QString &pathAndQuery, const QString &scheme) const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2%3")
                    .arg(scheme)
                    .arg(m_server->serverPort())
                    .arg(pathAndQuery));
}

HttpResult TestFeedServer::request(const QByteArray &verb, const QString &pathAndQuery,
                                   const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    QNetworkRequest req(url(pathAndQuery));
    for (const auto &header : headers)
        req.setRawHeader(header.first, header.second);
    QNetworkReply *reply = m_network.sendCustomRequest(req, verb);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    HttpResult result;
    if (!finished.wait(5000))
        return result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.error = reply->error();
    result.body = reply->readAll();
    result.json = QJsonDocument::fromJson(result.body).object();
    for (const auto &pair : reply->rawHeaderPairs())
        result.headers.insert(pair.first.toLower(), pair.second);
    reply->deleteLater();
    return result;
}

bool TestFeedServer::openClient(FeedTestClient &client, const QString &pathAndQuery)
{
    QSignalSpy connected(&client.socket, &QWebSocket::connected);
    client.socket.open(url(pathAndQuery, QStringLiteral("ws")));
    return connected.wait(5000);
}

void TestFeedServer::webSocketGetsHelloSnapshotThenDeltas()
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

void TestFeedServer::balancersAreInTheSnapshotAndSentAsTheyChange()
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

void TestFeedServer::pingAndResync()
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

void TestFeedServer::clientsShareOneSnapshotPerRevision()
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

void TestFeedServer::jsonEndpoints_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("listField");
    QTest::addColumn<int>("listSize");

    QTest::newRow("snapshot") << "/api/v1/snapshot" << 200 << "services" << 2;
    QTest::newRow("hosts") << "/api/v1/hosts" << 200 << "hosts" << 1;
    QTest::newRow("services") << "/api/v1/services" << 200 << "services" << 2;
    QTest::newRow("services by host") << "/api/v1/services?host=core-01" << 200 << "services" << 2;
    QTest::newRow("services other host") << "/api/v1/services?host=x" << 200 << "services" << 0;
    QTest::newRow("services by name") << "/api/v1/services?name=nginx" << 200 << "services" << 1;
    QTest::newRow("events") << "/api/v1/events" << 200 << "events" << 3;
    QTest::newRow("events after 2") << "/api/v1/events?after=2" << 200 << "events" << 1;
    QTest::newRow("events after all") << "/api/v1/events?after=99" << 200 << "events" << 0;
    QTest::newRow("events bad after") << "/api/v1/events?after=x" << 400 << "" << 0;
    QTest::newRow("unknown endpoint") << "/api/v1/nope" << 404 << "" << 0;
    QTest::newRow("tree without provider") << "/api/v1/tree?prefix=/portolan/" << 503 << "" << 0;
    QTest::newRow("tree limit 0") << "/api/v1/tree?limit=0" << 400 << "" << 0;
    QTest::newRow("tree limit 1001") << "/api/v1/tree?limit=1001" << 400 << "" << 0;
    QTest::newRow("key missing") << "/api/v1/key" << 400 << "" << 0;
}

void TestFeedServer::jsonEndpoints()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QString, listField);
    QFETCH(int, listSize);

    start();
    const HttpResult result = request("GET", path);
    QCOMPARE(result.status, status);
    QCOMPARE(result.headers.value("content-type"), QByteArray("application/json"));
    QCOMPARE(result.headers.value("cache-control"), QByteArray("no-store"));
    if (status != 200) {
        QVERIFY(!result.json.value("error").toString().isEmpty());
        return;
    }
    QCOMPARE(result.json.value("revision").toInteger(), 12);
    QCOMPARE(result.json.value(listField).toArray().size(), listSize);
    if (path == QLatin1String("/api/v1/snapshot")) {
        QCOMPARE(result.json.value("protocol").toInt(), 1);
        QCOMPARE(result.json.value("hosts").toArray().size(), 1);
        QCOMPARE(result.json.value("events").toArray().size(), 3);
    }
    if (path.contains("name=nginx")) {
        const QJsonObject service = result.json.value("services").toArray().first().toObject();
        QCOMPARE(service.value("address").toString(), QStringLiteral("10.0.0.5:49154"));
        QCOMPARE(service.value("registryKey").toString(),
                 QStringLiteral("/services/nginx/core-01:nginx.1:6379"));
    }
}

void TestFeedServer::treeAndKeyGoThroughProviders()
{
    start();
    KeyTreeQuery asked;
    // A stub provider standing in for the etcd key browser; it answers on a later turn of the
    // event loop, as the real one does.
    m_server->setKeyTreeProvider([&asked](const KeyTreeQuery &query, FeedReplyCallback reply) {
        asked = query;
        QTimer::singleShot(10, [query, reply] {
            reply(
                {200,
                 {{"prefix", query.prefix},
                  {"revision", 12},
                  {"children", QJsonArray{QJsonObject{
                                   {"name", "hosts"}, {"key", "/portolan/hosts/"}, {"dir", true}}}},
                  {"more", false},
                  {"next", QJsonValue()}}});
        });
    });
    m_server->setKeyValueProvider([](const QString &key, FeedReplyCallback reply) {
        if (key != QLatin1String("/portolan/hosts/core-01"))
            return reply(FeedReply::error(404, QStringLiteral("no such key")));
        reply({200, {{"key", key}, {"value", QString::fromUtf8(hostValue("core-01"))}}});
    });

    HttpResult tree = request("GET", "/api/v1/tree?prefix=/portolan/&limit=50&after=/portolan/a");
    QCOMPARE(tree.status, 200);
    QCOMPARE(asked.prefix, QStringLiteral("/portolan/"));
    QCOMPARE(asked.limit, 50);
    QCOMPARE(asked.after, QStringLiteral("/portolan/a"));
    QCOMPARE(tree.json.value("children").toArray().first().toObject().value("name").toString(),
             QStringLiteral("hosts"));
    tree = request("GET", "/api/v1/tree?prefix=%2Fportolan%2Fservices%2F");
    QCOMPARE(tree.status, 200);
    QCOMPARE(asked.prefix, QStringLiteral("/portolan/services/"));
    QCOMPARE(asked.limit, 100);

    HttpResult key = request("GET", "/api/v1/key?key=/portolan/hosts/core-01");
    QCOMPARE(key.status, 200);
    QCOMPARE(key.json.value("key").toString(), QStringLiteral("/portolan/hosts/core-01"));
    key = request("GET", "/api/v1/key?key=/nope");
    QCOMPARE(key.status, 404);
}

void TestFeedServer::treeAndKeyFromARealEtcd()
{
    EtcdTestServer etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
    EtcdClient client(EtcdClientOptions{{etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
    putAll(client, {"/portolan/hosts/core-01", "/portolan/services/core-01/a",
                    "/portolan/services/core-01/b", "/portolan/x"});
    start();
    KeyTree tree(&client);
    m_server->setKeyTreeProvider(FeedApi::keyTreeProvider(&tree, m_server.get()));
    m_server->setKeyValueProvider(FeedApi::keyValueProvider(&tree, m_server.get()));

    const HttpResult page = request("GET", "/api/v1/tree?prefix=/portolan/");
    QCOMPARE(page.status, 200);
    QCOMPARE(page.json.value("prefix").toString(), QStringLiteral("/portolan/"));
    QStringList names;
    for (const QJsonValue &child : page.json.value("children").toArray())
        names << child.toObject().value("name").toString();
    QCOMPARE(names, QStringList({"hosts", "services", "x"}));
    const HttpResult key = request("GET", "/api/v1/key?key=/portolan/x");
    QCOMPARE(key.status, 200);
    QCOMPARE(key.json.value("key").toString(), QStringLiteral("/portolan/x"));
    QCOMPARE(request("GET", "/api/v1/key?key=/portolan/none").status, 404);
    etcd.stop();
    const int down = request("GET", "/api/v1/tree?prefix=/portolan/").status;
    QVERIFY2(down == 502 || down == 504, qPrintable(QString::number(down)));
}

void TestFeedServer::keysOutsideTheScopeAreRefused()
{
    EtcdTestServer etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
    EtcdClient client(EtcdClientOptions{{etcd.endpoint()}, 10000, {}, {}, {}, {}, {}});
    putAll(client, {"/portolan/hosts/core-01", "/reg/services/redis/core-01:a:6379",
                    "/app/config/db_password", "/regular"});
    start();
    KeyTree tree(&client);
    const KeyScope scope{{QStringLiteral("/reg/services/"), QStringLiteral("/portolan/")}};
    m_server->setKeyTreeProvider(
        FeedApi::keyTreeProvider(&tree, m_server.get(), scope, m_state.get()));
    m_server->setKeyValueProvider(FeedApi::keyValueProvider(&tree, m_server.get(), scope));
    const auto names = [](const HttpResult &page) {
        QStringList list;
        for (const QJsonValue &child : page.json.value("children").toArray())
            list << child.toObject().value("key").toString();
        return list;
    };

    // The root lists only the way to the two subtrees, not /app/ or /regular.
    const HttpResult root = request("GET", "/api/v1/tree?prefix=/");
    QCOMPARE(root.status, 200);
    QCOMPARE(names(root), QStringList({"/portolan/", "/reg/"}));
    QCOMPARE(root.json.value("revision").toInteger(), m_state->revision());
    QCOMPARE(names(request("GET", "/api/v1/tree?prefix=/reg/")), QStringList({"/reg/services/"}));
    QCOMPARE(names(request("GET", "/api/v1/tree?prefix=/reg/services/")),
             QStringList({"/reg/services/redis/"}));
    QCOMPARE(request("GET", "/api/v1/key?key=/portolan/hosts/core-01").status, 200);

    // Outside: 403 with a sentence, whatever etcd holds there.
    for (const QString &path :
         {QStringLiteral("/api/v1/key?key=/app/config/db_password"),
          QStringLiteral("/api/v1/key?key=/regular"), QStringLiteral("/api/v1/tree?prefix=/app/"),
          QStringLiteral("/api/v1/key?key=/reg/servicesX"),
          QStringLiteral("/api/v1/key?key=/portolan")}) {
        const HttpResult refused = request("GET", path);
        QVERIFY2(refused.status == 403, qPrintable(path));
        QVERIFY(refused.json.value("error").toString().contains(
            QStringLiteral("outside what this feed shows: keys under /reg/services/ and "
                           "/portolan/")));
    }
}

void TestFeedServer::tokenIsRequiredWhenConfigured()
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

void TestFeedServer::listenRefusals()
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

void TestFeedServer::garbageFramesCloseWithDocumentedCodes_data()
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

void TestFeedServer::garbageFramesCloseWithDocumentedCodes()
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

void TestFeedServer::putAll(EtcdClient &client, const QList<QByteArray> &keys)
{
    int stored = 0;
    for (const QByteArray &key : keys)
        client.put(key, hostValue("core-01"), 0, this,
                   [&stored](const EtcdResponse &) { ++stored; });
    QTRY_COMPARE(stored, keys.size());
}

bool TestFeedServer::rawUpgrade(QTcpSocket &raw)
{
    raw.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    if (!raw.waitForConnected(5000))
        return false;
    raw.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n");
    QByteArray response;
    QElapsedTimer timer;
    timer.start();
    while (!response.contains("\r\n\r\n") && timer.elapsed() < 5000) {
        QTest::qWait(10); // the server runs on this thread: spin, do not block
        // Byte by byte, so no WebSocket frame after the handshake is consumed here.
        char c;
        while (!response.contains("\r\n\r\n") && raw.getChar(&c))
            response.append(c);
    }
    return response.startsWith("HTTP/1.1 101");
}

void TestFeedServer::invalidUtf8ClosesWith1007()
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

void TestFeedServer::clientThatNeverReadsStaysBounded()
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

void TestFeedServer::servesThePageWithSecurityHeaders()
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

void TestFeedServer::onlyGetIsAllowed()
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

void TestFeedServer::servesOverTls()
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

void TestFeedServer::idleHttpConnectionsAreCut()
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

void TestFeedServer::connectionsOverTheLimitAreRefused()
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

void TestFeedServer::silentWebSocketPeerIsCut()
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

void TestFeedServer::stalledServerDoesNotCutItsClients()
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

QTEST_GUILESS_MAIN(TestFeedServer)
#include "tst_feedserver.moc"
