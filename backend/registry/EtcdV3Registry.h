#pragma once

#include "registry/DeclarativeRegistry.h"

#include <QDateTime>
#include <QJsonObject>

// etcd:// and etcds://: registrator's layout on an etcd v3 lease.
//
// Per service, one txn writes both
//   <prefix>/<name>/<id>                     = "ip:port"   (what registrator wrote)
//   <portolanPrefix>/services/<hostname>/<id> = JSON detail (how the agent knows its own keys)
// and start() writes <portolanPrefix>/hosts/<hostname> = JSON host record. Every key is on one
// lease per agent (TTL = ttlSeconds), kept alive every refreshSeconds (0: ttl/3).
//
// Writes are queued and sent in txns of at most 128 ops, one txn at a time. Faults never stop the
// registry: it reports connectionChanged(false, ...) once, retries every 100..500 ms, and on
// recovery checks its lease (granting a new one if it is gone) and puts the whole desired set and
// the host record again.
//
// stop() only stops the timers: keys are NOT deleted and the lease is NOT revoked, because the
// containers keep running; the lease expires the keys if the agent does not come back in time.
class EtcdV3Registry : public DeclarativeRegistry {
    Q_OBJECT
public:
    explicit EtcdV3Registry(const RegistryConfig &config, QObject *parent = nullptr);
    ~EtcdV3Registry() override;

    void start() override;
    void registerService(const ServiceDefinition &service) override;
    void deregisterService(const ServiceDefinition &service) override;
    void reconcile(const QList<ServiceDefinition> &services) override;
    QString describe() const override;

    // Extra fields for the host record (merged over hostname/agentVersion/startedAt); rewritten
    // at the next write.
    void setHostInfo(const QJsonObject &info);
    // True when nothing is queued or in flight (see idle()).
    bool isIdle() const;
    qint64 leaseId() const { return m_lease; }
    EtcdClient *client() const { return m_client; }
    const RegistryConfig &config() const { return m_config; }

    // Key layout.
    virtual QString serviceKey(const ServiceDefinition &service) const;
    virtual QByteArray serviceValue(const ServiceDefinition &service) const;
    QString detailKey(const QString &serviceId) const;
    QString detailPrefix() const; // "<portolanPrefix>/services/<hostname>/"
    QString hostKey() const;
    QByteArray detailValue(const ServiceDefinition &service) const;

Q_SIGNALS:
    // A new lease was granted (at start, or because the old one was gone).
    void leaseGranted(qint64 leaseId);

private:
    struct PendingDelete {
        ServiceDefinition service; // for serviceDeregistered; empty for stale records
        QString serviceKey;        // registrator key to delete with the record (may be empty)
        bool stale = false;        // found by reconcile: emit staleRemoved instead
        quint64 generation = 0;
    };

    void pump() override;
    void refresh() override; // keep-alive for the lease
    void markAllDirty() override;
    void prepareRecovery() override;
    void grantLease();
    void checkLease();
    void listOwnRecords();
    void writeBatch();
    bool isLeaseGone(const EtcdError &error) const;

    QHash<QString, QDateTime> m_registeredAt;
    QHash<QString, PendingDelete> m_deletes;
    QHash<QString, quint64> m_orphanKeys; // registrator keys left behind by a renamed service
    QJsonObject m_hostInfo;
    QDateTime m_startedAt;
    quint64 m_hostGeneration = 0; // 0: host record written

    qint64 m_lease = 0;
    bool m_busy = false;
    bool m_needLeaseCheck = false;
};
