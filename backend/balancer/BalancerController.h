#pragma once

#include "balancer/BalancerDriver.h"
#include "balancer/BalancerPlanner.h"
#include "core/Metrics.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

class ClusterState;
class QTimer;

// Keeps the balancer equal to the plan of the cluster picture, never worse than its last good
// state:
// - nothing is applied before the first full listing from etcd; after that the picture only
//   changes through etcd's own events, so an etcd outage changes nothing (the picture stays);
// - changes are batched by quiescence: a runtime apply waits `quietMs` for more, a reload
//   `reloadQuietMs`, none longer than `maxDelayMs` since the first change; two reloads are at
//   least `reloadIntervalMs` apart unless the second takes a server away (a drain);
// - a failed apply is logged once per distinct error, counted, and retried with backoff
//   (1 s doubling to 30 s) while the balancer keeps what it had;
// - every `verifyMs` the driver checks the balancer still holds the plan (restarted or reloaded
//   by someone else); if not, the plan is applied again.
class BalancerController : public QObject {
    Q_OBJECT
public:
    struct Options {
        int quietMs = 5;
        int reloadQuietMs = 500;
        int maxDelayMs = 3000;
        int reloadIntervalMs = 2000;
        int verifyMs = 5000;
    };

    struct Stats {
        quint64 runtimeApplies = 0;
        quint64 reloadApplies = 0;
        quint64 failures = 0;
        quint64 configRefusals = 0;
        quint64 verifyFailures = 0;
        QDateTime lastApplyAt;
        QString lastMethod; // "runtime" or "reload"
        QString lastError;  // empty once an apply succeeded
        QDateTime lastErrorAt;
    };

    BalancerController(ClusterState *state, BalancerDriver *driver, BalancerPlanner planner,
                       Options options, QObject *parent = nullptr);
    ~BalancerController() override;

    void start();
    const Stats &stats() const { return m_stats; }
    const BalancerPlan &applied() const { return m_applied; } // the last plan the balancer took
    bool hasApplied() const { return m_hasApplied; }
    const Metrics::Histogram &applySeconds() const { return m_applySeconds; }

Q_SIGNALS:
    void appliedChanged(); // an apply finished, well or not (stats() changed)

private:
    void pictureChanged();
    void schedule();
    void applyNow();
    void verifyNow();
    void persistNow();

    QPointer<ClusterState> m_state;
    BalancerDriver *m_driver;
    BalancerPlanner m_planner;
    Options m_options;
    Stats m_stats;
    BalancerPlan m_applied;
    bool m_hasApplied = false;
    bool m_listed = false;      // the picture came from a full listing at least once
    QElapsedTimer m_dirtySince; // the oldest change not yet applied
    QElapsedTimer m_lastReload;
    int m_retryMs = 0;     // backoff after a failure, 0 when the last apply worked
    bool m_forced = false; // apply even when the driver thinks nothing changed
    QString m_loggedError;
    QTimer *m_applyTimer;
    QTimer *m_verifyTimer;
    QTimer *m_persistTimer; // writes runtime-only changes to the file once changes are quiet
    Metrics::Histogram m_applySeconds;
};
