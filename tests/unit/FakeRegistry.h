#pragma once

// FakeRegistry: a Registry that records what the agent asks of it, for the agent's unit tests.
// Every write "reaches the backend" at once. Header-only.

#include "registry/Registry.h"

#include <QHash>
#include <QStringList>

class FakeRegistry : public Registry {
public:
    QHash<QString, ServiceDefinition> services; // what the backend holds now, by id
    QStringList calls;                          // "put <id>", "del <id>", "reconcile <n>" ...
    int reconciles = 0;

    // "id ip:port" of each service held, sorted.
    QStringList held() const
    {
        QStringList out;
        for (const ServiceDefinition &s : services)
            out << s.id + QLatin1Char(' ') + s.address();
        out.sort();
        return out;
    }

    void start() override {}
    void stop() override {}
    void registerService(const ServiceDefinition &service) override
    {
        calls << QStringLiteral("put ") + service.id;
        services.insert(service.id, service);
        Q_EMIT serviceRegistered(service);
    }
    void deregisterService(const ServiceDefinition &service) override
    {
        calls << QStringLiteral("del ") + service.id;
        services.remove(service.id);
        Q_EMIT serviceDeregistered(service);
    }
    void sendNow() override { calls << QStringLiteral("sendNow"); }
    void beginReconcile() override { calls << QStringLiteral("beginReconcile"); }
    void flush() override { calls << QStringLiteral("flush"); }
    void reconcile(const QList<ServiceDefinition> &declared) override
    {
        ++reconciles;
        calls << QStringLiteral("reconcile %1").arg(declared.size());
        services.clear();
        for (const ServiceDefinition &s : declared)
            services.insert(s.id, s);
    }
    QString describe() const override { return QStringLiteral("fake registry"); }
    bool isConnected() const override { return true; }
};
