#pragma once

#include "service/ServiceDefinition.h"

#include <QList>
#include <QObject>

class EtcdClient;
class QJsonObject;

// A service registry the agent writes to. Declarative: the registry keeps the set of services
// this agent owns and makes the backend match it, retrying on its own after faults. The bridge
// only says what should exist; it never retries a registry write itself.
class Registry : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Registry() override = default;

    // Connects, obtains a lease (where the backend has them) and starts keep-alives.
    virtual void start() = 0;
    // Stops keep-alives and closes connections. Keys are left in place (the lease expires them).
    virtual void stop() = 0;

    // Adds or replaces one service (keyed by ServiceDefinition::id). A service whose
    // keyWithheld is set (-register-healthy) gets no registrator key; a backend with detail
    // records still writes its record.
    virtual void registerService(const ServiceDefinition &service) = 0;
    // Removes one service.
    virtual void deregisterService(const ServiceDefinition &service) = 0;
    // The caller has said all it has to say for one event: send what is owed now, in the same
    // call, instead of on the next turn of the event loop (a removal then leaves as one txn the
    // moment its `die` event is read). Default: nothing; writes go out as usual.
    virtual void sendNow() {}
    // A full sync begins: the set the next reconcile() declares is being gathered, and services
    // registered until then belong to it. A backend may list its own records and write those
    // services at once; it deletes nothing before reconcile() names the complete set.
    virtual void beginReconcile() {}
    // While gathering: send what is owed now, even if it does not fill a batch (the bridge says
    // so once the last inspect has been asked for).
    virtual void flush() {}
    // Declares the complete set this agent owns: missing ones are written, and keys this agent
    // owns that are not in the set are deleted (cleanup). Services registered unchanged since
    // beginReconcile() are not written a second time.
    virtual void reconcile(const QList<ServiceDefinition> &services) = 0;

    // Short description for logs, e.g. "etcd v3 at 127.0.0.1:2379 prefix /services".
    virtual QString describe() const = 0;
    virtual bool isConnected() const = 0;

    // What the agent learnt about its host (address, dockerVersion, feedUrl) for the host
    // record; EtcdV3Registry writes it, backends without a host record ignore it.
    virtual void setHostInfo(const QJsonObject &info) { Q_UNUSED(info) }
    // The etcd v3 client the agent's -feed reads through (EtcdV3Registry's); null otherwise.
    virtual EtcdClient *client() const { return nullptr; }

Q_SIGNALS:
    // The write for this service reached the backend (log: "added: <id12> <id>").
    void serviceRegistered(const ServiceDefinition &service);
    // The delete reached the backend (log: "removed: <id12> <id>").
    void serviceDeregistered(const ServiceDefinition &service);
    // A stale key found by reconcile was deleted (log: "dangling: <key> removed").
    void staleRemoved(const QString &key);
    // Connection state changed; error is a sentence a person can act on. Emitted on change only.
    void connectionChanged(bool connected, const QString &error);
};
