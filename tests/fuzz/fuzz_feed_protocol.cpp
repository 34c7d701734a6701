// Feed protocol messages (backend/feed/FeedProtocol, docs/feed.md). The input is, at once:
//  - a client text frame, given to parseTextFrame() as FeedSubscriber::handleText() does (through a
//    QString, since the WebSocket hands over decoded text) and as raw bytes;
//  - an etcd value, read as a service and a host detail record whose objects the server then
//    sends in `service`, `host` and `snapshot` messages.
// Invariants: a frame gives either a command or an error that fits a close frame with a code of
// the protocol; a ping's id comes back in the pong unchanged; every server message is one JSON
// object with its `type` whose payload equals what went in.
#include "feed/FeedProtocol.h"
#include "records/Records.h"

#include <QJsonDocument>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace {

void check(bool condition, const char *what, const QString &detail = {})
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s %s\n", what, qPrintable(detail.left(200)));
        std::abort();
    }
}

QJsonObject parseMessage(const QByteArray &message, const char *type)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(message, &error);
    check(error.error == QJsonParseError::NoError && doc.isObject(), "a message is one object",
          QString::fromUtf8(message));
    const QJsonObject o = doc.object();
    check(o.value(QLatin1String("type")).toString() == QLatin1String(type), "message type",
          QString::fromUtf8(message));
    return o;
}

void checkFrame(const QByteArray &frame)
{
    const FeedProtocol::ParsedFrame parsed = FeedProtocol::parseTextFrame(frame);
    if (const auto *error = std::get_if<FeedProtocol::FrameError>(&parsed)) {
        check(!error->reason.isEmpty(), "an error has a reason");
        check(error->reason.toUtf8().size() <= 123, "reason fits a close frame", error->reason);
        if (frame.size() > FeedProtocol::MaxClientFrameBytes)
            check(error->code == QWebSocketProtocol::CloseCodeTooMuchData, "too big is 1009");
        else
            check(error->code == QWebSocketProtocol::CloseCodeDatatypeNotSupported,
                  "anything else is 1003");
        return;
    }
    check(frame.size() <= FeedProtocol::MaxClientFrameBytes, "accepted frames are small");
    const auto &command = std::get<FeedProtocol::ClientCommand>(parsed);
    if (command.type == FeedProtocol::ClientCommand::Type::Ping) {
        check(std::isfinite(command.id), "ping id is finite");
        const QJsonObject pong = parseMessage(FeedProtocol::pongMessage(command.id), "pong");
        const double back = pong.value(QLatin1String("id")).toDouble();
        check(back == command.id, "pong carries the ping's id",
              QString::number(command.id, 'g', 17));
        // A ping the client builds with that id parses to the same command.
        const QByteArray again = QJsonDocument(QJsonObject{{"type", "ping"}, {"id", command.id}})
                                     .toJson(QJsonDocument::Compact);
        const FeedProtocol::ParsedFrame reparsed = FeedProtocol::parseTextFrame(again);
        const auto *ping = std::get_if<FeedProtocol::ClientCommand>(&reparsed);
        check(ping && ping->type == FeedProtocol::ClientCommand::Type::Ping &&
                  ping->id == command.id,
              "a rebuilt ping parses to the same command");
    }
}

void checkRecords(const QByteArray &value)
{
    ServiceRecord s = ServiceRecord::fromEtcdValue(value).value_or(ServiceRecord());
    s.key = QStringLiteral("/portolan/services/h/h:x:1");
    check(ServiceRecord::fromJson(s.toJson()) == s, "a service survives the feed's JSON");
    const QJsonObject service = s.toJson();
    for (const auto op : {FeedProtocol::ServiceOp::Added, FeedProtocol::ServiceOp::Changed,
                          FeedProtocol::ServiceOp::Removed}) {
        const QJsonObject m = parseMessage(FeedProtocol::serviceMessage(op, service), "service");
        check(m.value(QLatin1String("op")).toString() == FeedProtocol::opName(op), "op");
        check(m.value(QLatin1String("service")).toObject() == service,
              "the service object survives the message");
    }
    const HostRecord h = HostRecord::fromEtcdValue(value).value_or(HostRecord());
    check(HostRecord::fromJson(h.toJson()) == h, "a host survives the feed's JSON");
    const QJsonObject host = h.toJson();
    check(parseMessage(FeedProtocol::hostMessage(host), "host").value(QLatin1String("host")) ==
              host,
          "the host object survives the message");
    const QJsonObject snapshot = parseMessage(
        FeedProtocol::snapshotMessage(7, QJsonArray{host}, QJsonArray{service}, QJsonArray{},
                                      QJsonArray{}, FeedProtocol::SnapshotReason::Resync),
        "snapshot");
    check(snapshot.value(QLatin1String("services")).toArray() == QJsonArray{service},
          "snapshot services");
    check(snapshot.value(QLatin1String("reason")).toString() == QLatin1String("resync"),
          "snapshot reason");
    const BalancerRecord b = BalancerRecord::fromEtcdValue(value).value_or(BalancerRecord());
    check(parseMessage(FeedProtocol::balancerMessage(b.toJson()), "balancer")
                  .value(QLatin1String("balancer")) == b.toJson(),
          "the balancer object survives the message");
    // Strings from etcd in the other messages.
    const QJsonObject hello = parseMessage(FeedProtocol::helloMessage(s.name, s.host), "hello");
    check(hello.value(QLatin1String("protocol")).toInt() == FeedProtocol::Version, "version");
    const QJsonObject status =
        parseMessage(FeedProtocol::statusMessage(FeedProtocol::EtcdStatus::Error, s.id), "status");
    check(s.id.isEmpty() == status.value(QLatin1String("error")).isNull(), "error null iff empty");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    checkFrame(bytes);
    // What FeedSubscriber does: the socket delivers a QString, the server encodes it again.
    checkFrame(QString::fromUtf8(bytes).toUtf8());
    checkRecords(bytes);
    return 0;
}
