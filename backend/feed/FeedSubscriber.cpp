#include "feed/FeedSubscriber.h"

#include "feed/FeedWebSocket.h"

#include <QTimer>
#include <algorithm>

FeedSubscriber::FeedSubscriber(quint64 id, std::unique_ptr<FeedWebSocket> socket,
                               const FeedSubscriberLimits &limits, SnapshotBuilder snapshot,
                               QObject *parent)
    : QObject(parent), m_id(id), m_socket(std::move(socket)), m_limits(limits),
      m_snapshot(std::move(snapshot))
{
    m_socket->setParent(nullptr);
    connect(m_socket.get(), &FeedWebSocket::textReceived, this, &FeedSubscriber::handleText);
    connect(m_socket.get(), &FeedWebSocket::binaryReceived, this, [this] {
        const FeedProtocol::FrameError error = FeedProtocol::binaryFrameError();
        close(error.code, error.reason);
    });
    connect(m_socket.get(), &FeedWebSocket::bytesWritten, this, &FeedSubscriber::pump);
    // The socket closed itself for a protocol fault (1002, 1007, 1009): end like close().
    connect(m_socket.get(), &FeedWebSocket::protocolError, this,
            [this](quint16 code, const QString &reason) { close(code, reason); });
    connect(m_socket.get(), &FeedWebSocket::pingFlood, this, &FeedSubscriber::pingFlood);

    // A peer that vanished without a FIN (host down, cable out) would otherwise hold its socket
    // and queue until TCP gives up, many minutes later. Anything from the peer counts as alive,
    // and so does the kernel taking more of a backlog, which only the peer's acks allow: a slow
    // reader of a large snapshot answers pings late. A write into an empty kernel buffer proves
    // nothing, so it does not count.
    m_lastHeard.start();
    const auto heard = [this] { m_lastHeard.start(); };
    connect(m_socket.get(), &FeedWebSocket::textReceived, this, heard);
    connect(m_socket.get(), &FeedWebSocket::binaryReceived, this, heard);
    connect(m_socket.get(), &FeedWebSocket::pongReceived, this, heard);
    connect(m_socket.get(), &FeedWebSocket::bytesWritten, this, [this] {
        if (m_socket->bytesToWrite() > 0)
            m_lastHeard.start();
    });
    m_heartbeat = new QTimer(this);
    m_heartbeat->setInterval(std::max(10, m_limits.heartbeatMs / 2));
    connect(m_heartbeat, &QTimer::timeout, this, &FeedSubscriber::heartbeat);
    m_heartbeat->start();
    m_lastTick.start();
    connect(m_socket.get(), &FeedWebSocket::disconnected, this, [this] {
        if (m_finished)
            return;
        m_finished = true;
        m_queue.clear();
        m_queuedBytes = 0;
        Q_EMIT finished();
    });
}

FeedSubscriber::~FeedSubscriber()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

QString FeedSubscriber::peer() const
{
    return m_socket->peer();
}

qint64 FeedSubscriber::pendingBytes() const
{
    return m_queuedBytes + (m_socket ? m_socket->bytesToWrite() : 0);
}

void FeedSubscriber::send(const FeedMessage &message)
{
    if (m_closing)
        return;
    // The snapshot in flight does not count: a large cluster must still get its picture.
    if (m_queuedBytes - m_snapshotBytesQueued + message.bytes > m_limits.queueBytes) {
        overflow();
        return;
    }
    enqueue({message, false});
}

void FeedSubscriber::sendSnapshot(FeedProtocol::SnapshotReason reason)
{
    if (m_closing)
        return;
    // A snapshot still waiting here already shows the newest picture once it is sent, since
    // everything queued after it is kept; asking again would only cost another build.
    if (m_snapshotBytesQueued > 0 && reason == FeedProtocol::SnapshotReason::Resync)
        return;
    m_queue.clear();
    m_queuedBytes = 0;
    m_snapshotBytesQueued = 0;
    enqueue({m_snapshot(reason), true});
}

void FeedSubscriber::close(quint16 code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_queue.clear();
    m_queuedBytes = 0;
    m_snapshotBytesQueued = 0;
    m_socket->close(code, reason);
    // The close frame waits behind whatever the socket still holds; a peer that never reads
    // would keep that memory forever, so it gets a grace period and then the connection is cut.
    m_abortTimer = new QTimer(this);
    m_abortTimer->setSingleShot(true);
    connect(m_abortTimer, &QTimer::timeout, this, [this] {
        if (m_socket)
            m_socket->abort();
    });
    m_abortTimer->start(m_limits.closeGraceMs);
}

void FeedSubscriber::enqueue(Queued queued)
{
    m_queuedBytes += queued.message.bytes;
    if (queued.snapshot)
        m_snapshotBytesQueued += queued.message.bytes;
    m_queue.enqueue(std::move(queued));
    pump();
}

void FeedSubscriber::pump()
{
    bool sentSnapshot = false;
    while (!m_queue.isEmpty() && !m_closing && m_socket->isOpen() &&
           m_socket->bytesToWrite() < m_limits.writeWindow) {
        const Queued queued = m_queue.dequeue();
        m_queuedBytes -= queued.message.bytes;
        if (queued.snapshot)
            m_snapshotBytesQueued -= queued.message.bytes;
        m_socket->sendText(queued.message.utf8);
        sentSnapshot = sentSnapshot || queued.snapshot;
    }
    // A snapshot goes to the kernel now rather than on the next event-loop pass, so its copy in
    // Qt's write buffer is freed at once instead of one such copy per client piling up while
    // clients connect. Deltas are left to the event loop: flushing each one per client cost
    // more instructions per broadcast than it saved (callgrind, 100 clients).
    if (sentSnapshot)
        m_socket->flush();
    notePending();
}

void FeedSubscriber::overflow()
{
    ++m_overflowCount;
    const bool again =
        m_lastOverflow.isValid() && m_lastOverflow.elapsed() < m_limits.overflowWindowMs;
    m_lastOverflow.start();
    // Signalled before close(): once the socket is closed its peer address is gone, and the
    // owner names the client in its log.
    Q_EMIT overflowed(again);
    if (again) {
        close(FeedProtocol::CloseCodeTryAgainLater,
              QStringLiteral("the client fell behind twice within %1 s")
                  .arg(m_limits.overflowWindowMs / 1000));
    } else {
        sendSnapshot(FeedProtocol::SnapshotReason::Overflow);
    }
}

void FeedSubscriber::handleText(const QByteArray &message)
{
    if (m_closing)
        return;
    const FeedProtocol::ParsedFrame parsed = FeedProtocol::parseTextFrame(message);
    if (const auto *error = std::get_if<FeedProtocol::FrameError>(&parsed)) {
        close(error->code, error->reason);
        return;
    }
    const auto &command = std::get<FeedProtocol::ClientCommand>(parsed);
    switch (command.type) {
    case FeedProtocol::ClientCommand::Type::Ping: {
        send(FeedMessage::fromUtf8(FeedProtocol::pongMessage(command.id)));
        break;
    }
    case FeedProtocol::ClientCommand::Type::Resync:
        sendSnapshot(FeedProtocol::SnapshotReason::Resync);
        break;
    }
}

void FeedSubscriber::heartbeat()
{
    // A tick far too late means this process was not running (SIGSTOP, a paused VM), so it
    // could not have heard anything either: the silence is ours, not the peer's.
    const bool stalled = m_lastTick.elapsed() > 2 * m_heartbeat->interval();
    m_lastTick.start();
    if (stalled)
        m_lastHeard.start();
    const qint64 silentMs = m_lastHeard.elapsed();
    if (silentMs >= 2 * qint64(m_limits.heartbeatMs)) {
        m_heartbeat->stop();
        Q_EMIT silent(int(silentMs));
        m_socket->abort(); // emits disconnected(), so the owner deletes this client
    } else if (silentMs >= m_limits.heartbeatMs && !m_closing) {
        m_socket->ping();
    }
}

void FeedSubscriber::notePending()
{
    m_peakPendingBytes = std::max(m_peakPendingBytes, pendingBytes());
}
