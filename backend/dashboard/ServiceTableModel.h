#pragma once

#include "dashboard/ClusterListModel.h"
#include "dashboard/ServiceRouting.h"

#include <memory>

// Services as table rows, for one host (`host` set) or all. Rows keep the cluster's order (host,
// then id); ServiceFilterModel sorts and filters them for a view. Every role works on any column;
// Qt::DisplayRole and headerData() give the text and title of each Column.
class ServiceTableModel : public ClusterListModel {
    Q_OBJECT
    Q_PROPERTY(QString host READ host WRITE setHost NOTIFY hostChanged)
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        ServiceIdRole,
        HostRole,
        AddressRole,
        IpRole,
        PortRole,
        ProtocolRole,
        TagsRole, // "db, cache"
        ContainerNameRole,
        ContainerIdRole, // the first 12 characters, as docker ps shows it
        ImageRole,
        RegisteredAtRole,
        AgeSecondsRole, // seconds since registeredAt, -1 when unknown; sorts like age
        RegistryKeyRole,
        KeyRole,
        HealthRole,     // as recorded: "healthy", "unhealthy", "starting", "none" or empty
        RoutedByRole,   // "lb-1 as portolan_web"; "no traffic · …" when not taking it
        HealthTextRole, // the Health column's text: "no check" for none
    };
    Q_ENUM(Role)
    enum Column {
        NameColumn,
        HealthColumn, // "no check" for none
        IdColumn,
        AddressColumn, // the IP; the port has its own column
        PortColumn,
        ProtocolColumn,
        TagsColumn,
        ContainerColumn,
        ImageColumn,
        RoutedColumn,
        AgeColumn,
        ColumnCount
    };
    Q_ENUM(Column)

    explicit ServiceTableModel(QObject *parent = nullptr);

    QString host() const { return m_host; }
    void setHost(const QString &host);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    ServiceRecord record(int row) const
    {
        return row >= 0 && row < m_rows.size() ? *m_rows.at(row) : ServiceRecord();
    }
    const ServiceRecord &recordAt(int row) const { return *m_rows.at(row); } // a valid row
    // How two rows compare by a role's value (<0, 0, >0), as sorting by data(role) would, without
    // going through QVariant: the sort proxy calls it O(log n) times per inserted row.
    static int compareBy(int role, const ServiceRecord &a, const ServiceRecord &b);

    const ServiceRouting &routing() const { return m_routing; }

    // "4 min", "2 h", "3 d": how long a service has been registered.
    static QString ageText(qint64 seconds);
    // The role a column shows and sorts by ("name", "serviceId", "ip", ...).
    static QByteArray columnRoleName(int column);

    // A row is held by pointer: inserting or removing one of 10k rows moves 8-byte pointers, not
    // ~300-byte records.
    using Row = std::shared_ptr<const ServiceRecord>;
    // applyRowChanges' hook: dataChanged for every column of the row.
    void rowReplaced(int row, const Row &was, const Row &now);

Q_SIGNALS:
    void hostChanged();

protected:
    void refresh() override;
    void reload() override;
    void watch(ClusterState *cluster) override;

private:
    void routingChanged(); // a balancer's record changed: the Routed column of every row
    QList<ServiceRecord> readRows() const;
    // The rows' order: host, then id, then key (as ClusterState::services()).
    static bool rowLess(const Row &a, const Row &b);

    QString m_host;
    QList<Row> m_rows;
    ServiceRouting m_routing;
    // Etcd key -> the host and id its row is sorted by, for every row: an update that moves a
    // service to another host (or id) removes the row it had.
    QHash<QString, std::pair<QString, QString>> m_placed;
};
