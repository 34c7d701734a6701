#pragma once

#include "dashboard/ClusterListModel.h"
#include "dashboard/ServiceRouting.h"

#include <QSet>

// Services grouped by name across hosts: "redis: 3 instances on core-01, core-02".
class ServiceGroupModel : public ClusterListModel {
    Q_OBJECT
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        InstanceCountRole,
        HostCountRole,
        HostsRole,         // QStringList, sorted, each once
        SummaryRole,       // "redis: 3 instances on core-01, core-02"
        InstancesRole,     // QVariantList of {host, address, containerName, serviceId, protocol,
                           // image, health, healthText}
        RoutedByRole,      // "lb-1 as portolan_web (2 of 3 ready)"; empty when not routed
        HealthSummaryRole, // "1 unhealthy, 1 starting"; empty when none is either
    };
    Q_ENUM(Role)

    // A row. The instances themselves stay in m_instances only: a copy here would make every
    // batch deep-copy each touched group's list when it changes next.
    struct Group {
        QString name;
        int instanceCount = 0;
        QStringList hosts;
    };

    explicit ServiceGroupModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    static QString summary(const Group &group);
    QString routedBy(const QString &name) const;
    QString healthSummary(const QString &name) const;

protected:
    void refresh() override;
    void reload() override;
    void watch(ClusterState *cluster) override;

private:
    QList<Group> readGroups() const;
    void place(const ServiceChange &change, QSet<QString> *dirty);

    QList<Group> m_groups;
    // Every instance by name, kept up to date from the cluster's signals, so a batch rebuilds
    // only the groups it touched instead of regrouping all services.
    QHash<QString, QList<ServiceRecord>> m_instances; // by name, sorted by host, then id
    QHash<QString, QString> m_nameOf;                 // etcd key -> name
    ServiceRouting m_routing;
};
