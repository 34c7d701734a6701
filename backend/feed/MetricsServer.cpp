#include "feed/MetricsServer.h"

#include "feed/FeedHttpConnection.h"
#include "feed/FeedRequestPolicy.h"

#include <QTcpServer>
#include <QTcpSocket>

MetricsServer::MetricsServer(OpsEndpoints endpoints, MetricsServerOptions options, QObject *parent)
    : QObject(parent), m_endpoints(std::move(endpoints)), m_options(std::move(options)),
      m_guard(new FeedConnectionGuard(m_options.connectionLimits, this))
{
}

MetricsServer::~MetricsServer() = default;

QString MetricsServer::listen()
{
    QHostAddress address;
    const QString where = QStringLiteral("%1:%2").arg(m_options.address).arg(m_options.port);
    if (m_options.address.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(m_options.address))
        return QStringLiteral("-metrics address \"%1\" is not an IP address; use e.g. "
                              "127.0.0.1:9090")
            .arg(m_options.address);
    auto server = std::make_unique<GuardedServer<QTcpServer>>(m_guard);
    if (!server->listen(address, m_options.port))
        return QStringLiteral("cannot serve metrics on %1: %2").arg(where, server->errorString());
    m_listener = std::move(server);
    connect(m_listener.get(), &QTcpServer::pendingConnectionAvailable, this,
            &MetricsServer::acceptConnections);
    return {};
}

quint16 MetricsServer::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

void MetricsServer::acceptConnections()
{
    FeedHttpConnection::acceptAll(m_listener.get(), m_options.requestLimits,
                                  m_options.headDeadlineMs, this,
                                  [this](FeedHttpConnection *c) { handleRequest(c); });
}

// The feed's checks (FeedRequestPolicy::refusal), then the path.
void MetricsServer::handleRequest(FeedHttpConnection *connection)
{
    using Response = FeedHttpResponse;
    const HttpRequestParser &request = connection->request();
    if (auto refused = FeedRequestPolicy::refusal(*connection, m_options.allowedHosts))
        return connection->respond(refused->response);
    const bool authorized = FeedRequestPolicy::isAuthorized(request, m_options.token);
    const QString path = QString::fromUtf8(QByteArray::fromPercentEncoding(request.path()));
    if (const auto answer = m_endpoints.answer(path, authorized))
        return connection->respond(*answer);
    connection->respond(Response::error(404, QStringLiteral("no such endpoint: %1").arg(path)));
}
