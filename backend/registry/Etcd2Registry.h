#pragma once

#include "etcd/EtcdClient.h"
#include "registry/Registry.h"
#include "registry/RegistryConfig.h"

#include <QHash>
#include <QSet>

class QTimer;

// etcd2://: registrator's v2 layout, PUT /v2/keys<prefix>/<name>/<id> value=<ip:port>&ttl=<ttl>.
// v2 has no leases, so every key is put again with its TTL every refreshSeconds (0: ttl/3).
// etcd 3.4 serves this API only with --enable-v2.
//
// Declarative and fault-tolerant like EtcdV3Registry: writes are queued (a few in flight at a
// time), a fault is reported once, retried every 100..500 ms, and on recovery everything is put
// again. reconcile() lists <prefix> recursively and deletes keys whose id has registrator's shape
// "<hostname>:<container>:<port>[:udp]" with our hostname and that are not desired.
// stop() stops the timers and leaves the keys to their TTL.
class Etcd2Registry : public Registry {
    Q_OBJECT
public:
    explicit Etcd2Registry(const RegistryConfig &config, QObject *parent = nullptr);
    ~Etcd2Registry() override;

    void start() override;
    void stop() override;
    void registerService(const ServiceDefinition &service) override;
    void deregisterService(const ServiceDefinition &service) override;
    void reconcile(const QList<ServiceDefinition> &services) override;
    QString describe() const override;
    bool isConnected() const override { return m_state == State::Up; }

    bool isIdle() const;
    QString serviceKey(const ServiceDefinition &service) const;
    // "/services/redis/a:b:1" -> "/v2/keys/services/redis/a%3Ab%3A1"
    static QString keysPath(const QString &key);
    // True when id looks like registrator's "<hostname>:<container>:<port>[:udp]" for hostname.
    static bool isOwnId(const QString &id, const QString &hostname);

Q_SIGNALS:
    // Everything queued has been acknowledged (emitted each time the queue drains).
    void idle();

private:
    enum class State { Unknown, Up, Down };
    struct PendingDelete {
        ServiceDefinition service; // empty for stale keys
        bool stale = false;
        quint64 generation = 0;
    };

    void schedulePump();
    void pump();
    void list();
    void put(const QString &id);
    void remove(const QString &key);
    void markAllDirty();
    void setUp();
    void fail(const EtcdError &error);

    RegistryConfig m_config;
    EtcdClient *m_client;
    QTimer *m_refreshTimer;
    QTimer *m_retryTimer;
    int m_backoffMs = 100;

    QHash<QString, ServiceDefinition> m_desired; // by id
    QHash<QString, quint64> m_dirty;             // id -> generation of the pending put
    QHash<QString, PendingDelete> m_deletes;     // by key
    QSet<QString> m_inFlight;                    // keys with a request outstanding
    quint64 m_generation = 0;
    bool m_needListing = false;
    bool m_listing = false;
    bool m_running = false;
    bool m_pumpScheduled = false;
    State m_state = State::Unknown;
};
