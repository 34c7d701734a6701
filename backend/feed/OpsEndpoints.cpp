#include "feed/OpsEndpoints.h"

#include "core/Metrics.h"

#include <QJsonDocument>
#include <QJsonObject>

std::optional<FeedHttpResponse> OpsEndpoints::answer(const QString &path, bool authorized) const
{
    FeedHttpResponse response;
    response.headers = {{"Cache-Control", "no-store"}};
    if (path == QLatin1String("/healthz")) {
        response.contentType = "text/plain; charset=utf-8";
        response.body = "ok\n";
        return response;
    }
    if (path == QLatin1String("/readyz")) {
        const QString why = notReadyReason ? notReadyReason() : QString();
        response.status = why.isEmpty() ? 200 : 503;
        response.body = QJsonDocument(QJsonObject{{QStringLiteral("ready"), why.isEmpty()},
                                                  {QStringLiteral("reason"), why}})
                            .toJson(QJsonDocument::Compact);
        return response;
    }
    if (path == QLatin1String("/metrics")) {
        if (!authorized)
            return FeedHttpResponse::error(
                401, QStringLiteral("a valid feed token is required"), false,
                {{"WWW-Authenticate", "Bearer realm=\"portolan-feed\""}});
        response.contentType = Metrics::ContentType;
        response.body = metrics ? metrics() : QByteArray();
        return response;
    }
    return std::nullopt;
}
