#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTimer>
#include <vector>

class QTcpSocket;

// Limits on the feed's plain HTTP connections (docs/feed.md, "Connections").
struct FeedConnectionLimits {
    int idleMs = 30000;       // a connection that sends and receives nothing for this long is cut
    int maxConnections = 512; // HTTP connections held at once; more are refused at accept
};

// QHttpServer 6.4 has no timeouts of its own: a peer that connects and never finishes a
// request would hold a descriptor forever. The guard watches every connection from accept until
// it becomes a WebSocket (FeedSubscriber watches those) or closes.
class FeedConnectionGuard : public QObject {
    Q_OBJECT
public:
    explicit FeedConnectionGuard(FeedConnectionLimits limits, QObject *parent = nullptr);

    // Takes charge of a new connection, or cuts it and returns false when too many are held.
    bool admit(QTcpSocket *socket);
    // The connection from this peer became a WebSocket; stop watching it.
    void release(const QHostAddress &peer, quint16 port);

    int watched() const;
    int cutIdle() const { return m_cutIdle; }
    int refused() const { return m_refused; }

Q_SIGNALS:
    void connectionCut(const QString &peer, bool idle); // idle: timed out; else refused

private:
    struct Watched {
        QPointer<QTcpSocket> socket;
        QElapsedTimer lastActivity;
    };
    void sweep();
    void prune();

    FeedConnectionLimits m_limits;
    std::vector<Watched> m_watched;
    QTimer m_sweep;
    QElapsedTimer m_lastSweep;
    int m_cutIdle = 0;
    int m_refused = 0;
};

// A listening server whose accepted connections pass through the guard first. Works for
// QTcpServer and QSslServer, which QHttpServer both drain through nextPendingConnection().
template <typename Server> class GuardedServer : public Server {
public:
    explicit GuardedServer(FeedConnectionGuard *guard) : m_guard(guard) {}

    QTcpSocket *nextPendingConnection() override
    {
        while (QTcpSocket *socket = Server::nextPendingConnection()) {
            if (!m_guard || m_guard->admit(socket))
                return socket;
        }
        return nullptr;
    }

private:
    QPointer<FeedConnectionGuard> m_guard;
};
