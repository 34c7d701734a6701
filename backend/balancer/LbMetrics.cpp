#include "balancer/LoadBalancer.h"
#include "cluster/ClusterState.h"
#include "core/Version.h"

// portolan-lb's /metrics (docs/load-balancing.md, "Metrics"). One label per backend is bounded
// by the routed services the operator named, so it stays low-cardinality.
QByteArray LoadBalancer::metricsText() const
{
    using Metrics::Exposition;
    Exposition e;
    const BalancerController::Stats &st = m_controller->stats();
    e.gauge("portolan_lb_build_info", "portolan-lb's version and the balancer it drives", 1,
            "version=\"" + Exposition::escapeLabel(Portolan::version().toUtf8()) + "\",driver=\"" +
                Exposition::escapeLabel(m_driver->kind().toUtf8()) + "\",driver_version=\"" +
                Exposition::escapeLabel(m_driver->version().toUtf8()) + "\"");
    e.gauge("portolan_lb_etcd_up", "1 while the etcd watch is live",
            m_state->status() == ClusterState::Status::Ready ? 1 : 0);
    e.counters("portolan_lb_applies_total", "Plans applied to the balancer, by method", "method",
               {{"reload", st.reloadApplies}, {"runtime", st.runtimeApplies}});
    e.counter("portolan_lb_apply_failures_total",
              "Applies that failed (the balancer kept its last good state)", st.failures);
    e.counter("portolan_lb_config_check_failures_total",
              "New config files the balancer's own check refused", st.configRefusals);
    e.counter("portolan_lb_verify_failures_total",
              "Times the balancer no longer held the plan (restarted or changed by hand)",
              st.verifyFailures);
    e.gauge("portolan_lb_last_apply_timestamp_seconds", "When the last apply succeeded",
            st.lastApplyAt.isValid() ? st.lastApplyAt.toMSecsSinceEpoch() / 1000.0 : 0);
    e.histogram("portolan_lb_apply_duration_seconds", "Time one apply took",
                m_controller->applySeconds());
    QList<QPair<QByteArray, double>> servers;
    for (const PlannedBackend &b : m_controller->applied().backends)
        servers.append({b.name.toUtf8(), double(b.servers.size())});
    e.gauges("portolan_lb_backend_servers", "Servers taking traffic in each routed backend",
             "backend", servers);
    return e.text();
}
