#include "agent/AgentOps.h"

#include "agent/AgentOptions.h"
#include "core/AgentMetrics.h"
#include "core/Version.h"
#include "feed/FeedServer.h"
#include "feed/MetricsServer.h"

namespace AgentOps {

OpsEndpoints endpoints()
{
    OpsEndpoints ops;
    ops.metrics = [] { return AgentMetrics::instance().exposition(Portolan::version()); };
    ops.notReadyReason = [] { return AgentMetrics::instance().notReadyReason(); };
    return ops;
}

QString serveMetrics(const AgentOptions &options, QObject *parent)
{
    MetricsServerOptions settings;
    const int colon = options.metrics.lastIndexOf(QLatin1Char(':'));
    settings.address = options.metrics.left(colon);
    if (settings.address.startsWith(QLatin1Char('[')) &&
        settings.address.endsWith(QLatin1Char(']')))
        settings.address = settings.address.mid(1, settings.address.size() - 2);
    settings.port = quint16(options.metrics.mid(colon + 1).toUInt());
    if (!options.feedAllowedHosts.isEmpty())
        settings.allowedHosts = options.feedAllowedHosts.split(QLatin1Char(','));
    if (!options.feedTokenFile.isEmpty()) {
        QString error;
        const auto token = FeedServer::readTokenFile(options.feedTokenFile, &error);
        if (!token)
            return QStringLiteral("-feed-token-file: %1").arg(error);
        settings.token = *token;
    }
    auto *server = new MetricsServer(endpoints(), settings, parent);
    if (const QString error = server->listen(); !error.isEmpty()) {
        delete server;
        return error;
    }
    qInfo().noquote() << QStringLiteral("Metrics at http://%1/metrics").arg(options.metrics);
    return {};
}

} // namespace AgentOps
