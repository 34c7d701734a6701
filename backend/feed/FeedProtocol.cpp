#include "feed/FeedProtocol.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <cmath>

namespace FeedProtocol {
namespace {

QByteArray compact(const QJsonObject &message)
{
    return QJsonDocument(message).toJson(QJsonDocument::Compact);
}

FrameError unsupported(const QString &reason)
{
    return {QWebSocketProtocol::CloseCodeDatatypeNotSupported, reason};
}

} // namespace

QString reasonName(SnapshotReason reason)
{
    switch (reason) {
    case SnapshotReason::Initial:
        return QStringLiteral("initial");
    case SnapshotReason::Resync:
        return QStringLiteral("resync");
    case SnapshotReason::Overflow:
        return QStringLiteral("overflow");
    }
    return {};
}

QString opName(ServiceOp op)
{
    switch (op) {
    case ServiceOp::Added:
        return QStringLiteral("added");
    case ServiceOp::Changed:
        return QStringLiteral("changed");
    case ServiceOp::Removed:
        return QStringLiteral("removed");
    }
    return {};
}

QString statusName(EtcdStatus status)
{
    switch (status) {
    case EtcdStatus::Connecting:
        return QStringLiteral("connecting");
    case EtcdStatus::Ready:
        return QStringLiteral("ready");
    case EtcdStatus::Error:
        return QStringLiteral("error");
    case EtcdStatus::Disconnected:
        return QStringLiteral("disconnected");
    }
    return {};
}

QByteArray helloMessage(const QString &agentVersion, const QString &hostname)
{
    return compact({{QStringLiteral("type"), QStringLiteral("hello")},
                    {QStringLiteral("protocol"), Version},
                    {QStringLiteral("agent"), agentVersion},
                    {QStringLiteral("hostname"), hostname}});
}

QByteArray snapshotMessage(qint64 revision, const QJsonArray &hosts, const QJsonArray &services,
                           const QJsonArray &events, const QJsonArray &balancers,
                           SnapshotReason reason)
{
    return compact({{QStringLiteral("type"), QStringLiteral("snapshot")},
                    {QStringLiteral("revision"), revision},
                    {QStringLiteral("hosts"), hosts},
                    {QStringLiteral("services"), services},
                    {QStringLiteral("events"), events},
                    {QStringLiteral("balancers"), balancers},
                    {QStringLiteral("reason"), reasonName(reason)}});
}

QByteArray balancerMessage(const QJsonObject &balancer)
{
    return compact({{QStringLiteral("type"), QStringLiteral("balancer")},
                    {QStringLiteral("balancer"), balancer}});
}

QByteArray hostMessage(const QJsonObject &host)
{
    return compact(
        {{QStringLiteral("type"), QStringLiteral("host")}, {QStringLiteral("host"), host}});
}

QByteArray serviceMessage(ServiceOp op, const QJsonObject &service)
{
    return compact({{QStringLiteral("type"), QStringLiteral("service")},
                    {QStringLiteral("op"), opName(op)},
                    {QStringLiteral("service"), service}});
}

QByteArray eventMessage(const QJsonObject &event)
{
    return compact(
        {{QStringLiteral("type"), QStringLiteral("event")}, {QStringLiteral("event"), event}});
}

QByteArray statusMessage(EtcdStatus status, const QString &error)
{
    return compact({{QStringLiteral("type"), QStringLiteral("status")},
                    {QStringLiteral("status"), statusName(status)},
                    {QStringLiteral("error"), error.isEmpty() ? QJsonValue() : QJsonValue(error)}});
}

QByteArray pongMessage(double id)
{
    return compact({{QStringLiteral("type"), QStringLiteral("pong")}, {QStringLiteral("id"), id}});
}

ParsedFrame parseTextFrame(const QByteArray &utf8)
{
    if (utf8.size() > MaxClientFrameBytes) {
        return FrameError{QWebSocketProtocol::CloseCodeTooMuchData,
                          QStringLiteral("frame of %1 bytes is over the %2-byte limit")
                              .arg(utf8.size())
                              .arg(MaxClientFrameBytes)};
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return unsupported(QStringLiteral("invalid JSON at offset %1").arg(parseError.offset));
    if (!document.isObject())
        return unsupported(QStringLiteral("a frame must be one JSON object"));
    const QJsonObject frame = document.object();
    const QJsonValue type = frame.value(QStringLiteral("type"));
    if (!type.isString())
        return unsupported(QStringLiteral("\"type\" must be a string"));
    if (type.toString() == QLatin1String("ping")) {
        const QJsonValue id = frame.value(QStringLiteral("id"));
        if (!id.isDouble() || !std::isfinite(id.toDouble()))
            return unsupported(QStringLiteral("ping needs a numeric \"id\""));
        return ClientCommand{ClientCommand::Type::Ping, id.toDouble()};
    }
    if (type.toString() == QLatin1String("resync"))
        return ClientCommand{ClientCommand::Type::Resync, 0};
    // The type is quoted back shortened so the reason always fits in a close frame.
    return unsupported(QStringLiteral("unknown type \"%1\"").arg(type.toString().left(24)));
}

FrameError binaryFrameError()
{
    return unsupported(QStringLiteral("binary frames are not part of the feed protocol"));
}

} // namespace FeedProtocol
