#pragma once

#include "feed/FeedConnectionGuard.h"
#include "feed/OpsEndpoints.h"
#include "http/HttpRequestParser.h"

#include <QHostAddress>
#include <QObject>
#include <QStringList>
#include <memory>

class FeedHttpConnection;
class QTcpServer;

struct MetricsServerOptions {
    QString address = QStringLiteral("127.0.0.1"); // an IP address, or "localhost"
    quint16 port = 0;                              // 0 picks a free port (tests)
    QByteArray token; // when set, /metrics needs "Authorization: Bearer <token>"
    QStringList allowedHosts;
    FeedConnectionLimits connectionLimits;
    HttpRequestLimits requestLimits;
    int headDeadlineMs = 10000;
};

// -metrics=ADDR:PORT: /metrics, /healthz and /readyz on a port of their own, for an agent
// without -feed. The feed's HTTP layer (FeedHttpConnection, the guard, FeedRequestPolicy) with
// the same limits and Host/Origin checks; every other path is 404. Plain HTTP, GET only.
class MetricsServer : public QObject {
    Q_OBJECT
public:
    MetricsServer(OpsEndpoints endpoints, MetricsServerOptions options, QObject *parent = nullptr);
    ~MetricsServer() override;

    QString listen(); // an error sentence, or empty
    quint16 serverPort() const;

private:
    void acceptConnections();
    void handleRequest(FeedHttpConnection *connection);

    OpsEndpoints m_endpoints;
    MetricsServerOptions m_options;
    FeedConnectionGuard *m_guard;
    std::unique_ptr<QTcpServer> m_listener;
};
