#pragma once

#include "records/Keyspace.h"
#include "records/Records.h"
#include "registry/DeclarativeRegistry.h"
#include "registry/TxnBatch.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSet>
#include <optional>

// etcd:// and etcds://: registrator's layout on an etcd v3 lease.
//
// Per service, one txn writes both
//   <prefix>/<name>/<id>                     = "ip:port"   (what registrator wrote)
//   <portolanPrefix>/services/<hostname>/<id> = JSON detail (how the agent knows its own keys)
// and start() writes <portolanPrefix>/hosts/<hostname> = JSON host record. Every key is on one
// lease per agent (TTL = ttlSeconds), kept alive every refreshSeconds (0: ttl/3).
//
// Writes are queued and sent in txns of at most 128 ops, up to three txns in flight (they never
// name the same key, so their order does not matter). Between beginReconcile() and reconcile()
// a partial txn waits while another is in flight, so a sync's writes go out in full txns while
// the inspects are still coming in; the own-records listing runs meanwhile, and its stale records
// are deleted only once reconcile() has named the complete set. Faults never stop the
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
    void beginReconcile() override;
    void flush() override;
    void reconcile(const QList<ServiceDefinition> &services) override;
    QString describe() const override;

    // What the agent learnt about its host (HostRecord's etcd names: address, dockerVersion,
    // feedUrl); hostname, agentVersion and startedAt are the registry's own. Rewritten at the
    // next write.
    void setHostInfo(const QJsonObject &info) override;
    // True when nothing is queued or in flight (see idle()).
    bool isIdle() const;
    qint64 leaseId() const { return m_lease; }
    // The most txns that were in flight at once since construction (tests, bench).
    int peakTxnsInFlight() const { return m_peakTxnsInFlight; }
    int txnsInFlight() const { return m_txnsInFlight; } // tests: sent, not yet answered
    EtcdClient *client() const override { return m_client; }
    const RegistryConfig &config() const { return m_config; }

    // Key layout.
    virtual QString serviceKey(const ServiceDefinition &service) const;
    virtual QByteArray serviceValue(const ServiceDefinition &service) const;
    // The registrator key this agent writes for service: serviceKey(), or empty while
    // -register-healthy withholds it (the detail record is written all the same).
    QString publishedKey(const ServiceDefinition &service) const;
    QString detailKey(const QString &serviceId) const;
    QString detailPrefix() const; // "<portolanPrefix>/services/<hostname>/"
    QString hostKey() const;
    // The detail record of a service as this agent writes it, and its bytes.
    ServiceRecord detailRecord(const ServiceDefinition &service) const;
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
    // Turns the listing into stale deletes once the complete set is known.
    void applyListing();
    // Sends one txn of what is owed and not already in flight; false when there was nothing
    // (or, while a sync gathers, not enough for a full txn). In EtcdV3RegistryTxns.cpp.
    bool writeBatch();
    void fillBatch(TxnBatch &batch, qint64 lease);
    void sendBatch(const TxnBatch &batch, qint64 lease);
    // Settles what etcd has applied and emits the registry's signals for it.
    void acknowledge(const QList<TxnBatch::Ack> &acks);
    bool hasWrites() const;
    // detailValue(), built once per put owed (retries of a failed txn reuse it).
    const QByteArray &cachedDetailValue(const ServiceDefinition &service);
    bool isLeaseGone(const EtcdError &error) const;

    QHash<QString, QDateTime> m_registeredAt;
    QHash<QString, QByteArray> m_detailCache; // by id, while a put is owed; dropped on change
    QSet<QString> m_keysInFlight;             // etcd keys named by a txn in flight
    QSet<QString> m_putIdsInFlight;           // services a txn in flight puts
    int m_txnsInFlight = 0;
    int m_peakTxnsInFlight = 0;
    bool m_listingInFlight = false;
    bool m_flushRequested = false; // while gathering: a partial txn may go out
    quint64 m_listingGeneration = 0;
    std::optional<QHash<QString, QString>> m_listed; // own records: id -> registrator key
    QSet<QString> m_deletedSinceListing; // acknowledged deletes the listing may still show
    QHash<QString, PendingDelete> m_deletes;
    QHash<QString, quint64> m_orphanKeys; // registrator keys left behind by a renamed service
    Keyspace m_keyspace;
    QJsonObject m_hostInfo;
    QDateTime m_startedAt;
    quint64 m_hostGeneration = 0; // 0: host record written

    qint64 m_lease = 0;
    bool m_busy = false;
    bool m_needLeaseCheck = false;
};
