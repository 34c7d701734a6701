#pragma once

#include "http/WebSocketFrames.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QString>

class QTcpSocket;

// The server end of one feed WebSocket, on a connection whose upgrade the feed accepted.
// Qt's QWebSocket accepts unmasked client frames and answers every ping with a pong written
// past any queue of ours, so a client that pings and never reads grows our memory without
// bound; this class owns the framing (WebSocketFrames) and holds at most one pong.
class FeedWebSocket : public QObject {
    Q_OBJECT
public:
    // Takes ownership of `socket`. `pending` holds bytes that arrived after the upgrade request.
    FeedWebSocket(QTcpSocket *socket, const QByteArray &pending, qsizetype maxMessageBytes,
                  QObject *parent = nullptr);
    ~FeedWebSocket() override;

    // One text message as one frame. Ignored once closing.
    void sendText(const QByteArray &utf8);
    void ping();
    // Sends a close frame; the connection ends when the peer answers or is cut by the owner.
    void close(quint16 code, const QString &reason);
    void abort();
    bool flush();

    qint64 bytesToWrite() const;
    bool isOpen() const;                    // connected and no close frame sent or received
    QString peer() const { return m_peer; } // "address:port", kept after the socket is gone
    // Bytes the peer made us hold that are not messages of ours: a pong and a partial frame.
    qsizetype heldBytes() const;

    // Pongs wait while the socket holds this much; pings arriving meanwhile beyond
    // kPingFloodBytes mean the peer sends but does not read.
    static constexpr qint64 kPongWindow = 64 * 1024;
    static constexpr qint64 kPingFloodBytes = 64 * 1024;

Q_SIGNALS:
    void textReceived(const QByteArray &utf8);
    void binaryReceived();
    void pongReceived();
    // The peer broke the protocol; a close frame with `code` was sent.
    void protocolError(quint16 code, const QString &reason);
    // The peer kept sending pings without reading their answers; the connection was cut.
    void pingFlood();
    void bytesWritten(qint64 bytes);
    void disconnected();

private:
    void readFrames();
    void handle(const WebSocketFrames::Message &message);
    void writePong();
    void writeFrame(WebSocketFrames::Opcode opcode, QByteArrayView payload);

    QPointer<QTcpSocket> m_socket;
    WebSocketFrames::Reader m_reader;
    QString m_peer;
    bool m_closeSent = false;
    bool m_closeReceived = false;
    bool m_gone = false;
    bool m_pongPending = false;
    QByteArray m_pongPayload;
    qint64 m_pingBytesWhileBlocked = 0;
};
