#include "feed/FeedConnectionGuard.h"

#include <QTcpSocket>
#include <algorithm>

namespace {

QString peerOf(const QTcpSocket *socket)
{
    return QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort());
}

} // namespace

FeedConnectionGuard::FeedConnectionGuard(FeedConnectionLimits limits, QObject *parent)
    : QObject(parent), m_limits(limits)
{
    // A quarter of the timeout: a connection is cut between 1 and 1.25 timeouts after it fell
    // silent, for one timer per server rather than one per connection.
    m_sweep.setInterval(std::max(50, m_limits.idleMs / 4));
    connect(&m_sweep, &QTimer::timeout, this, &FeedConnectionGuard::sweep);
}

bool FeedConnectionGuard::admit(QTcpSocket *socket)
{
    prune();
    if (int(m_watched.size()) >= m_limits.maxConnections) {
        ++m_refused;
        Q_EMIT connectionCut(peerOf(socket), false);
        socket->abort();
        socket->deleteLater();
        return false;
    }
    Watched watched{socket, {}};
    watched.lastActivity.start();
    m_watched.push_back(watched);
    // Both directions count: a client waiting for a slow answer is not idle while bytes flow.
    // QHttpServer disconnects everything from the socket when it hands it to a WebSocket, so
    // these stop then; release() removes the entry at the same moment.
    const auto touch = [this, socket] {
        for (Watched &w : m_watched) {
            if (w.socket == socket)
                w.lastActivity.start();
        }
    };
    connect(socket, &QTcpSocket::readyRead, this, touch);
    connect(socket, &QTcpSocket::bytesWritten, this, touch);
    if (!m_sweep.isActive()) {
        m_sweep.start();
        m_lastSweep.start();
    }
    return true;
}

void FeedConnectionGuard::release(const QHostAddress &peer, quint16 port)
{
    m_watched.erase(std::remove_if(m_watched.begin(), m_watched.end(),
                                   [&](const Watched &w) {
                                       return w.socket && w.socket->peerPort() == port &&
                                              w.socket->peerAddress() == peer;
                                   }),
                    m_watched.end());
}

int FeedConnectionGuard::watched() const
{
    return int(std::count_if(m_watched.begin(), m_watched.end(), [](const Watched &w) {
        return w.socket && w.socket->state() != QAbstractSocket::UnconnectedState;
    }));
}

void FeedConnectionGuard::prune()
{
    m_watched.erase(std::remove_if(m_watched.begin(), m_watched.end(),
                                   [](const Watched &w) {
                                       return !w.socket || w.socket->state() ==
                                                               QAbstractSocket::UnconnectedState;
                                   }),
                    m_watched.end());
}

void FeedConnectionGuard::sweep()
{
    prune();
    // A sweep far too late means this process was not running: nobody could have been heard.
    if (m_lastSweep.elapsed() > 2 * m_sweep.interval()) {
        for (Watched &w : m_watched)
            w.lastActivity.start();
    }
    m_lastSweep.start();
    std::vector<QPointer<QTcpSocket>> idle;
    for (const Watched &w : m_watched) {
        if (w.lastActivity.elapsed() >= m_limits.idleMs)
            idle.push_back(w.socket);
    }
    for (const QPointer<QTcpSocket> &socket : idle) {
        if (!socket)
            continue;
        ++m_cutIdle;
        Q_EMIT connectionCut(peerOf(socket), true);
        // QHttpServer deletes its socket on disconnected(), which abort() emits.
        socket->abort();
    }
    prune();
    if (m_watched.empty()) {
        m_sweep.stop();
        m_lastSweep.invalidate();
    }
}
