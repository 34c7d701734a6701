#pragma once

#include "balancer/BalancerController.h"
#include "balancer/LbOptions.h"

#include <QDateTime>
#include <QObject>
#include <memory>

class BalancerRecordPublisher;
class ClusterState;
class EtcdClient;
class EtcdClusterSource;
class MetricsServer;
class UnixSignalWatcher;

// portolan-lb as a whole: etcd's picture (EtcdClusterSource into a ClusterState), the driver and
// the controller that keeps the balancer on the plan, the balancer record, and -metrics.
class LoadBalancer : public QObject {
    Q_OBJECT
public:
    explicit LoadBalancer(LbOptions options, QObject *parent = nullptr);
    ~LoadBalancer() override;

    // False with one sentence in *error when the options cannot work (exit 2); a balancer or
    // etcd that is not reachable yet is not an error: portolan-lb waits and retries.
    bool start(QString *error);
    QByteArray metricsText() const;
    QString notReadyReason() const;

private:
    void publishRecord();
    void stop(int signalNumber);

    LbOptions m_options;
    QString m_hostname;
    QDateTime m_startedAt;
    EtcdClient *m_client = nullptr;
    ClusterState *m_state = nullptr;
    EtcdClusterSource *m_source = nullptr;
    std::unique_ptr<BalancerDriver> m_driver;
    BalancerController *m_controller = nullptr;
    BalancerRecordPublisher *m_publisher = nullptr;
    MetricsServer *m_metrics = nullptr;
    UnixSignalWatcher *m_signals = nullptr;
    bool m_stopping = false;
    bool m_etcdWasReady = false;
};

// The driver -driver names, set up from the options (BalancerDrivers.cpp).
std::unique_ptr<BalancerDriver> createBalancerDriver(const LbOptions &options);
