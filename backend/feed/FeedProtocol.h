#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QWebSocketProtocol>
#include <variant>

// Feed protocol version 1 (docs/feed.md): every server message as compact JSON bytes, and the
// validation of client frames. Pure functions with no state, so they can be tested and fuzzed
// without a server.
namespace FeedProtocol {

inline constexpr int Version = 1;
inline constexpr qsizetype MaxClientFrameBytes = 1024;
// 1013 "try again later" (RFC 6455 registry) is missing from QWebSocketProtocol::CloseCode.
inline constexpr auto CloseCodeTryAgainLater = QWebSocketProtocol::CloseCode(1013);

enum class SnapshotReason { Initial, Resync, Overflow };
enum class ServiceOp { Added, Changed, Removed };
// The agent's view of etcd, as the `status` message names it.
enum class EtcdStatus { Connecting, Ready, Error, Disconnected };

QString reasonName(SnapshotReason reason); // "initial", "resync", "overflow"
QString opName(ServiceOp op);              // "added", "changed", "removed"
QString statusName(EtcdStatus status);     // "connecting", "ready", "error", "disconnected"

// --- server to client (objects come from the records' and ClusterEvent's toJson()) ---
QByteArray helloMessage(const QString &agentVersion, const QString &hostname);
QByteArray snapshotMessage(qint64 revision, const QJsonArray &hosts, const QJsonArray &services,
                           const QJsonArray &events, const QJsonArray &balancers,
                           SnapshotReason reason);
QByteArray hostMessage(const QJsonObject &host);
// A balancer's record was written, or deleted (`up` false in the object).
QByteArray balancerMessage(const QJsonObject &balancer);
QByteArray serviceMessage(ServiceOp op, const QJsonObject &service);
QByteArray eventMessage(const QJsonObject &event);
// `error` is sent as null when empty.
QByteArray statusMessage(EtcdStatus status, const QString &error);
QByteArray pongMessage(double id);

// --- client to server ---
struct ClientCommand {
    enum class Type { Ping, Resync };
    Type type = Type::Ping;
    double id = 0; // ping only
};

// Why a frame closes the connection: the WebSocket close code and a reason that names the fault.
// Reasons fit a close frame (at most 123 bytes of UTF-8).
struct FrameError {
    QWebSocketProtocol::CloseCode code = QWebSocketProtocol::CloseCodeDatatypeNotSupported;
    QString reason;
};

using ParsedFrame = std::variant<ClientCommand, FrameError>;

// Validates one text frame (UTF-8): size, a JSON object, a known `type`, the field types.
// Fields the protocol does not name are ignored.
ParsedFrame parseTextFrame(const QByteArray &utf8);
// Binary frames are never part of the protocol.
FrameError binaryFrameError();

} // namespace FeedProtocol
