#pragma once

// Setup shared by the FeedServer tests (tst_feedserver_websocket, _api, _security, _limits):
// records for core-01, an HTTP and a WebSocket client, and FeedServerTestCase, which holds a
// ClusterState and starts a FeedServer on 127.0.0.1. Header-only.

#include "cluster/ClusterState.h"
#include "feed/FeedServer.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <memory>

inline HostRecord hostRecord(const QString &hostname)
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

inline QByteArray hostValue(const QString &hostname)
{
    return hostRecord(hostname).toEtcdValue();
}

inline ServiceRecord service(const QString &host, const QString &name, const QString &container,
                             int port, const QString &env = QStringLiteral("prod"))
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
inline ClusterSnapshot listing(const QList<ServiceRecord> &services, qint64 revision)
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

// The fixture: each test class derives from it and calls init() and cleanup() from its own
// slots of those names (QtTest finds only slots).
class FeedServerTestCase : public QObject {
protected:
    void init()
    {
        m_state = std::make_unique<ClusterState>(QStringLiteral("/portolan"));
        m_state->resetToSnapshot(listing({service("core-01", "redis", "redis.1", 49153),
                                          service("core-01", "nginx", "nginx.1", 49154)},
                                         12));
        m_state->setStatus(ClusterState::Status::Ready);
    }

    void cleanup()
    {
        m_server.reset();
        m_state.reset();
    }

    void start(FeedServerOptions options = {})
    {
        options.agentVersion = QStringLiteral("0.1.0");
        options.hostname = QStringLiteral("core-01");
        m_server = std::make_unique<FeedServer>(m_state.get(), options);
        const QString error = m_server->listen();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(m_server->serverPort() != 0);
    }

    QUrl url(const QString &pathAndQuery, const QString &scheme = QStringLiteral("http")) const
    {
        return QUrl(QStringLiteral("%1://127.0.0.1:%2%3")
                        .arg(scheme)
                        .arg(m_server->serverPort())
                        .arg(pathAndQuery));
    }

    HttpResult request(const QByteArray &verb, const QString &pathAndQuery,
                       const QList<std::pair<QByteArray, QByteArray>> &headers = {})
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

    bool openClient(FeedTestClient &client, const QString &pathAndQuery = QStringLiteral("/ws"))
    {
        QSignalSpy connected(&client.socket, &QWebSocket::connected);
        client.socket.open(url(pathAndQuery, QStringLiteral("ws")));
        return connected.wait(5000);
    }

    // The upgrade by hand, for what a QWebSocket client would never send or would always read.
    bool rawUpgrade(QTcpSocket &raw)
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

    std::unique_ptr<ClusterState> m_state;
    std::unique_ptr<FeedServer> m_server;
    QNetworkAccessManager m_network;
};
