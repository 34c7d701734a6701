#pragma once

#include "dashboard/ClusterListModel.h"

// The hosts as cards: name, up or gone, how many services, the last event. Sorted by hostname.
class HostListModel : public ClusterListModel {
    Q_OBJECT
    Q_PROPERTY(int upCount READ upCount NOTIFY countsChanged)
    Q_PROPERTY(int goneCount READ goneCount NOTIFY countsChanged)
public:
    enum Role {
        HostnameRole = Qt::UserRole + 1,
        AddressRole,
        UpRole,
        GoneAtRole,
        StartedAtRole,
        AgentVersionRole,
        DockerVersionRole,
        FeedUrlRole,
        ServiceCountRole,
        LastEventTimeRole,
        LastEventRole, // "redis added", "host-up"
    };
    Q_ENUM(Role)

    struct Row {
        HostRecord host;
        int serviceCount = 0;
        QDateTime lastEventTime;
        QString lastEvent;
    };

    explicit HostListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int upCount() const { return m_upCount; }
    int goneCount() const { return m_goneCount; }
    Q_INVOKABLE int indexOf(const QString &hostname) const;

Q_SIGNALS:
    void countsChanged();

protected:
    void refresh() override;
    void reload() override;
    void watch(ClusterState *cluster) override;

private:
    QList<Row> readRows() const;
    void updateCounts();
    void countService(const ServiceChange &change);

    QList<Row> m_rows;
    // Kept up to date from the cluster's signals, so a batch does not re-read 10k services.
    QHash<QString, QString> m_hostOfService;  // etcd key -> host
    QHash<QString, int> m_serviceCount;       // by host
    QHash<QString, ClusterEvent> m_lastEvent; // by host
    int m_upCount = 0;
    int m_goneCount = 0;
};
