#pragma once

#include "balancer/BalancerPlan.h"
#include "records/Records.h"

#include <QList>
#include <QSet>
#include <QStringList>

// Which services the balancer carries and under what name. A service is routed when its name is
// in `names` or it carries one of `tags`. A service routed by name has its backend from the
// start, even with no instance, so the operator's frontends can name it; one routed by tag gets
// it when first seen and keeps it (empty) while portolan-lb runs, so scaling to zero and back
// costs no reload. UDP ports are never routed.
class BalancerPlanner {
public:
    struct Rules {
        QStringList names;
        QStringList tags;
        QStringList tcpNames; // routed as Mode::Tcp
    };

    explicit BalancerPlanner(Rules rules);

    BalancerPlan plan(const QList<ServiceRecord> &services);
    bool routes(const ServiceRecord &service) const;

    // "portolan_" + the service name with every character outside [A-Za-z0-9_.-] made '_',
    // plus "_" and 8 hex digits of the name's hash when anything was replaced, so two names
    // never share a backend. Valid for HAProxy (backend, server) and nginx (upstream) alike.
    static QString backendName(const QString &service);
    // A server name unique within its backend and stable for the instance id.
    static QString serverName(const QString &instanceId);

private:
    Rules m_rules;
    QSet<QString> m_seenByTag;
};
