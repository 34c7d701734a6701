#pragma once

#include <QList>
#include <QString>

// What the load balancer should hold: one backend (HAProxy) or upstream (nginx) per routed
// service, each with the instances that take traffic. Built from the cluster picture by
// BalancerPlanner; the drivers turn it into runtime calls or a config file. Sorted and free of
// duplicates, so two plans compare with ==.
struct PlannedServer {
    QString id; // the service instance id ("core-01:web.1:80"), stable while it lives
    QString ip; // as registered; IPv6 without brackets
    int port = 0;
    QString address() const; // ip:port, IPv6 bracketed

    bool operator==(const PlannedServer &o) const
    {
        return id == o.id && ip == o.ip && port == o.port;
    }
    bool operator!=(const PlannedServer &o) const { return !(*this == o); }
};

struct PlannedBackend {
    enum class Mode { Http, Tcp };
    QString service; // the registered service name
    QString name;    // the backend/upstream name: "portolan_" + the name made safe (BalancerNames)
    Mode mode = Mode::Http;
    QList<PlannedServer> servers; // sorted by id; only instances that take traffic
    int registered = 0;           // all registered instances, taking traffic or not

    bool operator==(const PlannedBackend &o) const
    {
        return service == o.service && name == o.name && mode == o.mode && servers == o.servers &&
               registered == o.registered;
    }
    bool operator!=(const PlannedBackend &o) const { return !(*this == o); }
};

struct BalancerPlan {
    QList<PlannedBackend> backends; // sorted by name

    const PlannedBackend *find(const QString &backendName) const;
    // Some server of `before` is not here, or has moved: traffic must leave it (a stopping or
    // unhealthy instance), which should not wait behind the pacing of reloads.
    bool drains(const BalancerPlan &before) const;
    bool operator==(const BalancerPlan &o) const { return backends == o.backends; }
    bool operator!=(const BalancerPlan &o) const { return !(*this == o); }
};
