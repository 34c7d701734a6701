#include "feed/FeedWebSocket.h"

#include <QTcpSocket>
#include <QTimer>

using WebSocketFrames::Opcode;

namespace {
// What Qt reads from the kernel before we have parsed it: the rest waits in TCP's window.
constexpr qint64 kReadBufferBytes = 64 * 1024;

} // namespace

FeedWebSocket::FeedWebSocket(QTcpSocket *socket, const QByteArray &pending,
                             qsizetype maxMessageBytes, QObject *parent)
    : QObject(parent), m_socket(socket), m_reader(maxMessageBytes),
      m_peer(QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort()))
{
    socket->setParent(this);
    socket->setReadBufferSize(kReadBufferBytes);
    connect(socket, &QTcpSocket::readyRead, this, &FeedWebSocket::readFrames);
    connect(socket, &QTcpSocket::bytesWritten, this, [this](qint64 bytes) {
        if (m_pongPending && m_socket->bytesToWrite() < kPongWindow)
            writePong();
        Q_EMIT bytesWritten(bytes);
    });
    connect(socket, &QTcpSocket::disconnected, this, [this] {
        if (m_gone)
            return;
        m_gone = true;
        Q_EMIT disconnected();
    });
    if (!pending.isEmpty()) {
        // Frames sent right behind the handshake; read once the owner has connected.
        QTimer::singleShot(0, this, [this, pending] {
            QList<WebSocketFrames::Message> messages;
            const bool ok = m_reader.feed(pending, &messages);
            for (const WebSocketFrames::Message &m : std::as_const(messages))
                handle(m);
            if (!ok && !m_closeSent)
                close(m_reader.errorCode(), m_reader.errorString());
            readFrames();
        });
    }
}

FeedWebSocket::~FeedWebSocket()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void FeedWebSocket::sendText(const QByteArray &utf8)
{
    if (isOpen())
        writeFrame(Opcode::Text, utf8);
}

void FeedWebSocket::ping()
{
    if (isOpen())
        writeFrame(Opcode::Ping, {});
}

void FeedWebSocket::close(quint16 code, const QString &reason)
{
    if (m_closeSent || !m_socket)
        return;
    m_closeSent = true;
    m_socket->write(WebSocketFrames::closeFrame(code, reason));
    if (m_closeReceived)
        m_socket->disconnectFromHost(); // the handshake is complete: end once written
}

void FeedWebSocket::abort()
{
    if (m_socket)
        m_socket->abort();
}

bool FeedWebSocket::flush()
{
    return m_socket && m_socket->flush();
}

qint64 FeedWebSocket::bytesToWrite() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

bool FeedWebSocket::isOpen() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState && !m_closeSent &&
           !m_closeReceived;
}

qsizetype FeedWebSocket::heldBytes() const
{
    return m_pongPayload.size() + m_reader.bufferedBytes();
}

void FeedWebSocket::readFrames()
{
    while (m_socket && m_socket->bytesAvailable() > 0 && !m_reader.hasError() &&
           !m_reader.closed()) {
        const QByteArray data = m_socket->read(kReadBufferBytes);
        QList<WebSocketFrames::Message> messages;
        const bool ok = m_reader.feed(data, &messages);
        for (const WebSocketFrames::Message &m : std::as_const(messages)) {
            handle(m);
            if (!m_socket || m_gone)
                return;
        }
        if (!ok) {
            const quint16 code = m_reader.errorCode();
            const QString reason = m_reader.errorString();
            close(code, reason);
            // A peer that breaks the protocol gets no close handshake (RFC 6455 7.1.7).
            if (m_socket)
                m_socket->disconnectFromHost();
            Q_EMIT protocolError(code, reason);
            return;
        }
    }
    // Whatever a closed or failed peer sends next is dropped unread, so it costs nothing.
    if (m_socket && (m_reader.hasError() || m_reader.closed()))
        m_socket->skip(m_socket->bytesAvailable());
}

void FeedWebSocket::handle(const WebSocketFrames::Message &message)
{
    switch (message.opcode) {
    case Opcode::Text:
        if (isOpen())
            Q_EMIT textReceived(message.payload);
        break;
    case Opcode::Binary:
        if (isOpen())
            Q_EMIT binaryReceived();
        break;
    case Opcode::Ping:
        // RFC 6455 5.5.3 lets a pong answer only the latest ping: one is held, never a queue.
        m_pongPayload = message.payload;
        if (m_pongPending)
            m_pingBytesWhileBlocked += 2 + message.payload.size();
        m_pongPending = true;
        if (m_socket->bytesToWrite() < kPongWindow) {
            writePong();
        } else if (m_pingBytesWhileBlocked > kPingFloodBytes) {
            Q_EMIT pingFlood();
            abort();
        }
        break;
    case Opcode::Pong:
        Q_EMIT pongReceived();
        break;
    case Opcode::Close:
        m_closeReceived = true;
        if (!m_closeSent) {
            m_closeSent = true;
            const quint16 code = message.closeCode == WebSocketFrames::CloseNoStatus
                                     ? quint16(WebSocketFrames::CloseNormal)
                                     : message.closeCode;
            m_socket->write(WebSocketFrames::closeFrame(code, QString()));
        }
        m_socket->disconnectFromHost();
        break;
    case Opcode::Continuation:
        break; // the reader joins fragments; never delivered
    }
}

void FeedWebSocket::writePong()
{
    m_pongPending = false;
    m_pingBytesWhileBlocked = 0;
    const QByteArray payload = std::exchange(m_pongPayload, QByteArray());
    if (!m_closeSent)
        writeFrame(Opcode::Pong, payload);
}

void FeedWebSocket::writeFrame(Opcode opcode, QByteArrayView payload)
{
    m_socket->write(WebSocketFrames::frameHeader(opcode, quint64(payload.size())));
    if (!payload.isEmpty())
        m_socket->write(payload.data(), payload.size());
}
