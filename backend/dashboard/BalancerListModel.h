#pragma once

#include "dashboard/ClusterListModel.h"

// The running load balancers (portolan-lb records under /portolan/balancers/), sorted by name:
// driver and version, where each runs, its last apply and how, its last error, and the services
// it routes. Status and errorString come from the cluster like every list model's.
class BalancerListModel : public ClusterListModel {
    Q_OBJECT
    Q_PROPERTY(int errorCount READ errorCount NOTIFY countsChanged)
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        HostRole,
        DriverRole,        // "haproxy" or "nginx"
        DriverVersionRole, // the balancer's own version, e.g. "2.6.12"
        DriverTextRole,    // "haproxy 2.6.12"
        VersionRole,       // portolan-lb's version
        StartedAtRole,
        LastApplyAtRole,
        LastApplyMethodRole, // "runtime", "reload" or empty
        LastApplyTextRole,   // "through the Runtime API (no reload)", "by a reload", ""
        LastErrorRole,       // one sentence; empty while the last apply succeeded
        LastErrorAtRole,
        RoutesRole,     // QVariantList of {service, backend, servers, ready, text}
        RouteCountRole, // how many services it routes
    };
    Q_ENUM(Role)

    explicit BalancerListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    int errorCount() const { return m_errorCount; }
    Q_INVOKABLE int indexOf(const QString &name) const;

    static QString applyMethodText(const QString &method);
    // "3 servers, 2 ready"
    static QString routeText(const BalancerRoute &route);

Q_SIGNALS:
    void countsChanged();

protected:
    void refresh() override;
    void reload() override;
    void watch(ClusterState *cluster) override;

private:
    void updateCounts();

    QList<BalancerRecord> m_rows;
    int m_errorCount = 0;
};
