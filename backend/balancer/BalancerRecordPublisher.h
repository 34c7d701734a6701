#pragma once

#include "records/Records.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <functional>

class EtcdClient;
class QTimer;

// Keeps this balancer's record at /portolan/balancers/<name> on a lease of its own, so a dead
// portolan-lb drops out of the cluster picture after the TTL. A changed record is written at
// once (one write in flight, the latest waiting); a lost lease is granted again and the record
// rewritten; etcd faults are retried every second and logged once until it answers again.
class BalancerRecordPublisher : public QObject {
    Q_OBJECT
public:
    BalancerRecordPublisher(EtcdClient *client, QByteArray key, int ttlSeconds,
                            QObject *parent = nullptr);

    void publish(const BalancerRecord &record);
    // Revokes the lease (the record goes at once); `done` runs when etcd answered or failed.
    void withdraw(std::function<void()> done);
    bool isPublished() const { return m_written && !m_dirty; }

private:
    void pump();
    void grant();
    void keepAlive();
    void fail(const QString &message);

    QPointer<EtcdClient> m_client;
    QByteArray m_key;
    int m_ttlSeconds;
    qint64 m_lease = 0;
    BalancerRecord m_record;
    bool m_hasRecord = false;
    bool m_dirty = false;
    bool m_written = false;
    bool m_busy = false;
    bool m_stopped = false;
    QString m_loggedError;
    QTimer *m_keepAliveTimer;
    QTimer *m_retryTimer;
};
