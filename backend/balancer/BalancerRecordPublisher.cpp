#include "balancer/BalancerRecordPublisher.h"

#include "core/LogCategories.h"
#include "etcd/EtcdClient.h"

#include <QJsonObject>
#include <QTimer>

BalancerRecordPublisher::BalancerRecordPublisher(EtcdClient *client, QByteArray key, int ttlSeconds,
                                                 QObject *parent)
    : QObject(parent), m_client(client), m_key(std::move(key)), m_ttlSeconds(ttlSeconds),
      m_keepAliveTimer(new QTimer(this)), m_retryTimer(new QTimer(this))
{
    m_keepAliveTimer->setInterval(qMax(500, ttlSeconds * 1000 / 3));
    connect(m_keepAliveTimer, &QTimer::timeout, this, &BalancerRecordPublisher::keepAlive);
    m_retryTimer->setSingleShot(true);
    m_retryTimer->setInterval(1000);
    connect(m_retryTimer, &QTimer::timeout, this, &BalancerRecordPublisher::pump);
}

void BalancerRecordPublisher::publish(const BalancerRecord &record)
{
    if (m_hasRecord && record == m_record)
        return;
    m_record = record;
    m_hasRecord = true;
    m_dirty = true;
    pump();
}

void BalancerRecordPublisher::pump()
{
    if (m_busy || m_stopped || !m_client || m_retryTimer->isActive())
        return;
    if (m_lease == 0)
        return grant();
    if (!m_dirty || !m_hasRecord)
        return;
    m_busy = true;
    m_dirty = false;
    m_client->put(m_key, m_record.toEtcdValue(), m_lease, this, [this](const EtcdResponse &r) {
        m_busy = false;
        if (r.error.isError()) {
            m_dirty = true;
            return fail(r.error.message);
        }
        m_written = true;
        if (!m_loggedError.isEmpty())
            qCInfo(lcBalancer, "balancer record %s written again", m_key.constData());
        m_loggedError.clear();
        pump();
    });
}

void BalancerRecordPublisher::grant()
{
    m_busy = true;
    m_client->leaseGrant(m_ttlSeconds, this, [this](const EtcdResponse &r) {
        m_busy = false;
        if (r.error.isError())
            return fail(r.error.message);
        m_lease = EtcdClient::int64(r.json.value(QLatin1String("ID")));
        if (m_lease == 0)
            return fail(QStringLiteral("etcd granted a lease without an ID"));
        m_dirty = true; // a new lease carries no record yet
        m_keepAliveTimer->start();
        pump();
    });
}

void BalancerRecordPublisher::keepAlive()
{
    if (m_lease == 0 || m_stopped)
        return;
    const qint64 lease = m_lease;
    m_client->leaseKeepAlive(lease, this, [this, lease](const EtcdResponse &r) {
        if (r.error.isError())
            return fail(r.error.message);
        const QJsonObject result = r.json.value(QLatin1String("result")).toObject();
        if (lease == m_lease && EtcdClient::int64(result.value(QLatin1String("TTL"))) <= 0) {
            qCWarning(lcBalancer, "the balancer record's lease expired; granting a new one");
            m_lease = 0;
            m_keepAliveTimer->stop();
            pump();
        }
    });
}

void BalancerRecordPublisher::fail(const QString &message)
{
    if (message != m_loggedError) {
        qCWarning(lcBalancer, "cannot write the balancer record %s: %s (retrying every second)",
                  m_key.constData(), qPrintable(message));
        m_loggedError = message;
    }
    m_retryTimer->start();
}

void BalancerRecordPublisher::withdraw(std::function<void()> done)
{
    m_stopped = true;
    m_keepAliveTimer->stop();
    m_retryTimer->stop();
    if (m_lease == 0 || !m_client)
        return done();
    m_client->leaseRevoke(m_lease, this, [done](const EtcdResponse &) { done(); });
}
