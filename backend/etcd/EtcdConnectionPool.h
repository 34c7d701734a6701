#pragma once

#include <QList>
#include <QObject>
#include <QString>
#include <functional>

class EtcdConnection;
class QSslConfiguration;

// The keep-alive connections to one etcd endpoint for unary requests. An idle connection is
// reused; otherwise a new one is opened while fewer than MaxConnections are busy, and beyond
// that a request waits for the first one released (as many as Qt's HTTP client allowed, which
// callers such as Etcd2Registry size their in-flight work by). A connection that failed, got
// "Connection: close" or was closed by etcd while idle is dropped. Watch streams do not come
// from here: each gets a connection of its own, so a stream never holds up a request.
class EtcdConnectionPool : public QObject {
    Q_OBJECT
public:
    static constexpr int MaxConnections = 6;
    using Ready = std::function<void(EtcdConnection *)>;

    // tls: see EtcdConnection; it must outlive the pool.
    EtcdConnectionPool(const QString &endpoint, const QSslConfiguration *tls,
                       QObject *parent = nullptr);

    // Runs ready with a connection for one exchange, at once or once one is free. Returns a
    // ticket for cancel().
    quint64 acquire(Ready ready);
    // Forgets a request still waiting for a connection (its deadline passed).
    void cancel(quint64 ticket);
    // Gives a connection back after its exchange (finished or aborted): kept when idle,
    // dropped otherwise; the next waiting request gets a turn.
    void release(EtcdConnection *connection);

    int idleCount() const { return int(m_idle.size()); }
    int busyCount() const { return int(m_busy.size()); }

private:
    void serveWaiters();
    EtcdConnection *take();

    QString m_endpoint;
    const QSslConfiguration *m_tls;
    QList<EtcdConnection *> m_idle;
    QList<EtcdConnection *> m_busy;
    QList<std::pair<quint64, Ready>> m_waiting;
    quint64 m_nextTicket = 1;
};
