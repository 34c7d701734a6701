#pragma once

#include "balancer/BalancerPlan.h"

#include <QString>

// One load balancer kind (HAProxy, nginx). The controller hands it whole plans; the driver
// owns the file it writes and the way it gets the balancer to hold the plan. Calls are
// synchronous and every outside step (a socket exchange, `haproxy -c`, `nginx -t`, a reload)
// is bounded in time by the driver, so a stuck balancer costs a failed apply, never a hang.
class BalancerDriver {
public:
    enum class Change {
        None,    // the balancer already holds the plan
        Runtime, // reachable without a reload (HAProxy Runtime API)
        Reload,  // needs a new config file and a reload
    };

    struct Result {
        bool ok = false;
        Change method = Change::None; // what was done (Reload when a reload was attempted)
        QString error;                // one sentence that says what to do, when !ok
        bool configRefused = false;   // `haproxy -c` / `nginx -t` refused the new file
        bool reloaded = false;        // a reload was done and verified
    };

    virtual ~BalancerDriver() = default;

    virtual QString kind() const = 0; // "haproxy" or "nginx"
    // Checks the tools and paths, reads the balancer's version and the current state. An error
    // sentence, or empty. Called once before anything else; a running balancer is not required
    // (the first apply writes the file and waits for it).
    virtual QString prepare() = 0;
    virtual QString version() const = 0; // the balancer's version, e.g. "2.6.12"; empty if unknown

    // How far the balancer is from `plan` (cheap: from what the driver knows, no outside call).
    virtual Change classify(const BalancerPlan &plan) const = 0;
    // Makes the balancer hold `plan`. The file on disk always matches what the balancer runs:
    // it is replaced only after the balancer's own check accepts it, and a refused file is never
    // left behind. On failure the balancer keeps its last good state.
    virtual Result apply(const BalancerPlan &plan) = 0;
    // Checks the balancer still holds what the driver last applied (it may have been restarted
    // or reloaded by someone else). False makes the controller apply the plan again in full:
    // the next apply() must then redo everything, not trust what the driver believed applied.
    virtual bool verify(QString *error) = 0;

    // Changes apply() made at runtime only and has not yet written to its file (HAProxy: the
    // file's check takes tens of milliseconds, so it is not done while a server waits to be
    // ready). The controller calls persist() once changes have been quiet for a moment; until
    // then a reload made by the driver itself writes the full state anyway.
    virtual bool hasUnpersisted() const { return false; }
    virtual Result persist() { return {true, Change::None, {}, false, false}; }
};
