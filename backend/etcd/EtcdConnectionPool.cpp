#include "etcd/EtcdConnectionPool.h"

#include "etcd/EtcdConnection.h"

EtcdConnectionPool::EtcdConnectionPool(const QString &endpoint, const QSslConfiguration *tls,
                                       QObject *parent)
    : QObject(parent), m_endpoint(endpoint), m_tls(tls)
{
}

EtcdConnection *EtcdConnectionPool::take()
{
    // The most recently used idle connection first: the one least likely to have timed out.
    if (!m_idle.isEmpty())
        return m_idle.takeLast();
    if (m_busy.size() >= MaxConnections)
        return nullptr;
    auto *connection = new EtcdConnection(m_endpoint, m_tls, this);
    connect(connection, &EtcdConnection::lost, this, [this, connection] {
        if (m_idle.removeOne(connection))
            connection->deleteLater();
    });
    return connection;
}

quint64 EtcdConnectionPool::acquire(Ready ready)
{
    const quint64 ticket = m_nextTicket++;
    if (m_waiting.isEmpty()) {
        if (EtcdConnection *connection = take()) {
            m_busy.append(connection);
            ready(connection);
            return ticket;
        }
    }
    m_waiting.append({ticket, std::move(ready)});
    return ticket;
}

void EtcdConnectionPool::cancel(quint64 ticket)
{
    m_waiting.removeIf([ticket](const auto &w) { return w.first == ticket; });
}

void EtcdConnectionPool::release(EtcdConnection *connection)
{
    if (!m_busy.removeOne(connection))
        return;
    if (connection->isIdle() && m_idle.size() < MaxConnections) {
        m_idle.append(connection);
    } else {
        connection->abort();
        connection->deleteLater();
    }
    serveWaiters();
}

void EtcdConnectionPool::serveWaiters()
{
    while (!m_waiting.isEmpty()) {
        EtcdConnection *connection = take();
        if (!connection)
            return;
        m_busy.append(connection);
        Ready ready = m_waiting.takeFirst().second;
        ready(connection);
    }
}
