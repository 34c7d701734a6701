#pragma once

#include "feed/FeedProtocol.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <functional>
#include <memory>

class QTimer;
class FeedWebSocket;

// Limits that keep one feed client's memory bounded (docs/feed.md, "Slow clients").
struct FeedSubscriberLimits {
    qint64 queueBytes = 1024 * 1024; // pending deltas allowed beyond the snapshot in flight
    qint64 writeWindow = 64 * 1024;  // bytes handed to the socket before waiting for the peer
    int overflowWindowMs = 10000;    // a second overflow within this closes with 1013
    int closeGraceMs = 5000;         // a closed client that does not read is aborted after this
    int heartbeatMs = 30000;         // a silent peer is pinged after this and cut after twice this
};

// One server message in UTF-8 and its size (what the queue limits count). Built once and
// shared, implicitly, by every client it goes to.
struct FeedMessage {
    QByteArray utf8;
    qint64 bytes = 0;

    static FeedMessage fromUtf8(const QByteArray &utf8) { return {utf8, utf8.size()}; }
};

// The server's end of one WebSocket client of the feed. Messages wait in a bounded queue of our own
// and reach the socket only while the socket's buffer is below the write window, so a client that
// does not read can never make the process buffer more than the limits allow.
class FeedSubscriber : public QObject {
    Q_OBJECT
public:
    // Gives the snapshot message for this client; called only when one is needed. The server
    // builds it once per cluster revision and shares it between clients.
    using SnapshotBuilder = std::function<FeedMessage(FeedProtocol::SnapshotReason)>;

    FeedSubscriber(quint64 id, std::unique_ptr<FeedWebSocket> socket,
                   const FeedSubscriberLimits &limits, SnapshotBuilder snapshot,
                   QObject *parent = nullptr);
    ~FeedSubscriber() override;

    quint64 id() const { return m_id; }
    QString peer() const;

    // A delta or any other message; may trigger overflow handling.
    void send(const FeedMessage &message);
    // Drops everything queued and queues a fresh snapshot.
    void sendSnapshot(FeedProtocol::SnapshotReason reason);
    void close(quint16 code, const QString &reason);

    qint64 queuedBytes() const { return m_queuedBytes; }
    qint64 pendingBytes() const; // queued here plus buffered in the socket
    qint64 peakPendingBytes() const { return m_peakPendingBytes; }
    int overflowCount() const { return m_overflowCount; }
    bool isClosing() const { return m_closing; }

Q_SIGNALS:
    void overflowed(bool closed);
    void finished();           // the connection is gone; the owner deletes this client
    void silent(int silentMs); // the peer answered nothing, not even pings; it is being cut
    void pingFlood();          // the peer sent pings without reading the answers; it was cut

private:
    struct Queued {
        FeedMessage message;
        bool snapshot = false;
    };
    void enqueue(Queued message);
    void pump();
    void overflow();
    void handleText(const QByteArray &message);
    void notePending();
    void heartbeat();

    quint64 m_id;
    std::unique_ptr<FeedWebSocket> m_socket;
    FeedSubscriberLimits m_limits;
    SnapshotBuilder m_snapshot;
    QQueue<Queued> m_queue;
    qint64 m_queuedBytes = 0;
    qint64 m_snapshotBytesQueued = 0;
    qint64 m_peakPendingBytes = 0;
    int m_overflowCount = 0;
    QElapsedTimer m_lastOverflow;
    bool m_closing = false;
    bool m_finished = false;
    QTimer *m_abortTimer = nullptr;
    QTimer *m_heartbeat = nullptr;
    QElapsedTimer m_lastHeard; // a frame, a pong, or the peer taking bytes off our socket
    QElapsedTimer m_lastTick;
};
