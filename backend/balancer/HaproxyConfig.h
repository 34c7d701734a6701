#pragma once

#include "balancer/BalancerPlan.h"

#include <QMap>
#include <QSet>
#include <QString>

// What HAProxy holds in the backends Portolan owns, as the driver knows it, and the file
// (portolan.cfg) that declares it. One shape serves the plan, the file on disk and the live
// state read from the Runtime API, so the driver compares them with ==.
struct HaproxyBackendState {
    PlannedBackend::Mode mode = PlannedBackend::Mode::Http;
    QMap<QString, QString> servers; // server name -> address ("ip:port", IPv6 bracketed)
    bool operator==(const HaproxyBackendState &o) const
    {
        return mode == o.mode && servers == o.servers;
    }
    bool operator!=(const HaproxyBackendState &o) const { return !(*this == o); }
};

struct HaproxyState {
    QMap<QString, HaproxyBackendState> backends; // by backend name
    bool operator==(const HaproxyState &o) const { return backends == o.backends; }
    bool operator!=(const HaproxyState &o) const { return !(*this == o); }
    // Structural difference: a backend added or removed, or a mode changed (needs a reload).
    bool sameStructure(const HaproxyState &o) const;
};

namespace HaproxyConfig {
// HAProxy's name for one instance: the id made safe ([A-Za-z0-9_.:-], at most 40 characters)
// plus 8 hex digits of a hash over the id and the address. Stable while the instance keeps
// its address; an address change gives a new name, so the old server can drain under its
// own name while the new one is added.
QString serverName(const QString &id, const QString &address);
// True for a name HAProxy and the Runtime API's one-line commands accept unchanged.
bool isSafeName(const QString &name);
// The state a plan asks for. An error sentence (and an empty state) for a backend name that
// is not safe, or two servers that end up with the same name.
HaproxyState fromPlan(const BalancerPlan &plan, QString *error);
// The file portolan-lb writes: a header and one backend per entry.
QString render(const HaproxyState &state);
// Reads a file written by render() (for prepare()); an error sentence for anything else.
HaproxyState parse(const QString &text, QString *error);
} // namespace HaproxyConfig
