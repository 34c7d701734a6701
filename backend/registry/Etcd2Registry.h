#pragma once

#include "registry/DeclarativeRegistry.h"

#include <QSet>

// etcd2://: registrator's v2 layout, PUT /v2/keys<prefix>/<name>/<id> value=<ip:port>&ttl=<ttl>.
// v2 has no leases, so every key is put again with its TTL every refreshSeconds (0: ttl/3).
// etcd 3.4 serves this API only with --enable-v2. Requests take the same EtcdClient as the v3
// registry (own keep-alive connections, failover, per-attempt timeout, TLS), without v3 auth.
//
// Declarative and fault-tolerant like EtcdV3Registry: writes are queued (a few in flight at a
// time), a fault is reported once, retried every 100..500 ms, and on recovery everything is put
// again. reconcile() lists <prefix> recursively and deletes keys whose id has registrator's shape
// "<hostname>:<container>:<port>[:udp]" with our hostname and that are not desired.
// stop() stops the timers and leaves the keys to their TTL. A service whose key -register-healthy
// withholds is not written (and deleted if it was).
class Etcd2Registry : public DeclarativeRegistry {
    Q_OBJECT
public:
    explicit Etcd2Registry(const RegistryConfig &config, QObject *parent = nullptr);
    ~Etcd2Registry() override;

    void start() override;
    void registerService(const ServiceDefinition &service) override;
    void deregisterService(const ServiceDefinition &service) override;
    void reconcile(const QList<ServiceDefinition> &services) override;
    QString describe() const override;

    bool isIdle() const;
    QString serviceKey(const ServiceDefinition &service) const;
    // "/services/redis/a:b:1" -> "/v2/keys/services/redis/a%3Ab%3A1"
    static QString keysPath(const QString &key);
    // True when id looks like registrator's "<hostname>:<container>:<port>[:udp]" for hostname.
    static bool isOwnId(const QString &id, const QString &hostname);

private:
    struct PendingDelete {
        ServiceDefinition service; // empty for stale keys
        bool stale = false;
        quint64 generation = 0;
    };

    void pump() override;
    void refresh() override; // v2 has no leases: put every key again with its TTL
    void list();
    void put(const QString &id);
    void remove(const QString &key);

    QHash<QString, PendingDelete> m_deletes; // by key
    QSet<QString> m_inFlight;                // keys with a request outstanding
    bool m_listing = false;
};
