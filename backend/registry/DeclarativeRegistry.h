#pragma once

#include "etcd/EtcdClient.h"
#include "registry/Registry.h"
#include "registry/RegistryConfig.h"

#include <QHash>
#include <QSet>

class QTimer;

// What the etcd registries share: the desired set, the puts still owed to etcd, the zero-delay
// pump, a periodic refresh, the capped retry backoff and connectionChanged once per change.
// A subclass decides what pump() sends and what refresh() does (keep-alive or re-put).
//
// Puts are tracked by generation: an acknowledgement clears an entry only if nothing newer was
// asked for meanwhile, so a write that raced a change is sent again.
class DeclarativeRegistry : public Registry {
    Q_OBJECT
public:
    // Stops the refresh and retry timers. Keys are left to their lease or TTL.
    void stop() override;
    // Starts remembering which services are registered before reconcile() (see isFresh()).
    void beginReconcile() override;
    bool isConnected() const override { return m_state == State::Up; }
    // Outside a sync, pumps at once (a sync's writes keep waiting for full batches).
    void sendNow() override;

Q_SIGNALS:
    // Everything queued has been acknowledged by etcd (emitted each time the queue drains).
    void idle();

protected:
    // Takes a copy of config with trailing '/' trimmed from the prefix; the refresh timer fires
    // every refreshSeconds (0: ttl/3, at least 500 ms) once a subclass starts it.
    DeclarativeRegistry(const RegistryConfig &config, const EtcdClientOptions &clientOptions,
                        QObject *parent);
    ~DeclarativeRegistry() override;

    // Endpoints, TLS files and v3 credentials from config.
    static EtcdClientOptions clientOptions(const RegistryConfig &config);
    // "127.0.0.1:2379,10.0.0.2:2379" for describe().
    QString endpointNames() const;
    // registrator's key: <prefix>/<name>/<id>.
    QString registratorKey(const ServiceDefinition &service) const;

    // Adds or replaces service in the desired set; a put is owed.
    void desire(const ServiceDefinition &service);
    // Drops service's id from the desired set and the owed puts. Returns what was desired under
    // that id (its key may differ from service's), or service itself.
    ServiceDefinition undesire(const ServiceDefinition &service);

    // True in reconcile() when service was registered unchanged since beginReconcile(): its put
    // is already sent or owed, so it need not be marked again.
    bool isFresh(const ServiceDefinition &service) const;
    // reconcile() is done with the gathered set.
    void endReconcile();

    // Sends what is owed, one step at a time; runs from the event loop or the retry timer.
    virtual void pump() = 0;
    // The refresh timer fired.
    virtual void refresh() = 0;
    // Every desired service is owed a put again.
    virtual void markAllDirty();
    // A fault happened: assume etcd lost anything (default: markAllDirty()).
    virtual void prepareRecovery();

    // Runs pump() once from the event loop, so calls made in one go are sent together.
    void schedulePump();
    // etcd answered: reset the backoff; connectionChanged(true) if it was not up. Ignored
    // while etcd refuses writes (see setWritten()).
    void setUp();
    // A write was accepted: clears a refusal, then setUp().
    void setWritten();
    // connectionChanged(false, message) if it was not down, prepareRecovery(), and a retry after
    // 100, 200, 400, 500, 500 ... ms.
    void fail(const EtcdError &error);

    RegistryConfig m_config;
    EtcdClient *m_client;
    QTimer *m_refreshTimer;
    QTimer *m_retryTimer;

    QHash<QString, ServiceDefinition> m_desired; // by id
    QHash<QString, quint64> m_dirty;             // id -> generation of the pending put
    quint64 m_generation = 0;
    bool m_running = false;
    bool m_needListing = false;
    bool m_gathering = false; // between beginReconcile() and reconcile()
    QSet<QString> m_freshIds; // registered while gathering

private:
    enum class State { Unknown, Up, Down };

    int m_backoffMs;
    bool m_pumpScheduled = false;
    State m_state = State::Unknown;
    bool m_refused = false; // etcd refused a request (permission, auth, TLS) and no write landed
};
