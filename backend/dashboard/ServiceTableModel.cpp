#include "dashboard/ServiceTableModel.h"

#include <limits>

ServiceTableModel::ServiceTableModel(QObject *parent) : ClusterListModel(parent)
{
    setTracksServiceChanges(true);
}

void ServiceTableModel::setHost(const QString &host)
{
    if (host == m_host)
        return;
    m_host = host;
    reload(); // another host is another table: a reset is what the view expects
    Q_EMIT hostChanged();
    Q_EMIT countChanged();
}

int ServiceTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ServiceTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QByteArray ServiceTableModel::columnRoleName(int column)
{
    static const char *const names[ColumnCount] = {
        "name", "health",        "serviceId", "ip",       "port",      "protocol",
        "tags", "containerName", "image",     "routedBy", "ageSeconds"};
    return column >= 0 && column < ColumnCount ? QByteArray(names[column]) : QByteArray();
}

QVariant ServiceTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
        section >= ColumnCount)
        return QAbstractListModel::headerData(section, orientation, role);
    static const char *const titles[ColumnCount] = {
        QT_TR_NOOP("Name"),  QT_TR_NOOP("Health"),    QT_TR_NOOP("ID"),   QT_TR_NOOP("Address"),
        QT_TR_NOOP("Port"),  QT_TR_NOOP("Protocol"),  QT_TR_NOOP("Tags"), QT_TR_NOOP("Container"),
        QT_TR_NOOP("Image"), QT_TR_NOOP("Routed by"), QT_TR_NOOP("Age")};
    return tr(titles[section]);
}

QString ServiceTableModel::ageText(qint64 s)
{
    if (s < 0)
        return QStringLiteral("—");
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min").arg(s / 60);
    if (s < 86400)
        return QStringLiteral("%1 h").arg(s / 3600);
    return QStringLiteral("%1 d").arg(s / 86400);
}

QVariant ServiceTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ServiceRecord &s = *m_rows.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case HealthColumn:
            return ServiceRouting::healthText(s.health);
        case IdColumn:
            return s.id;
        case AddressColumn:
            return s.ip;
        case PortColumn:
            return QString::number(s.port);
        case ProtocolColumn:
            return s.protocol;
        case TagsColumn:
            return s.tags.join(QStringLiteral(", "));
        case ContainerColumn:
            return s.containerName;
        case ImageColumn:
            return s.image;
        case RoutedColumn:
            return m_routing.instanceText(s);
        case AgeColumn:
            return ageText(s.registeredAt.isValid()
                               ? s.registeredAt.secsTo(QDateTime::currentDateTimeUtc())
                               : qint64(-1));
        default:
            return s.name;
        }
    }
    switch (role) {
    case NameRole:
        return s.name;
    case ServiceIdRole:
        return s.id;
    case HostRole:
        return s.host;
    case AddressRole:
        return s.address();
    case IpRole:
        return s.ip;
    case PortRole:
        return s.port;
    case ProtocolRole:
        return s.protocol;
    case TagsRole:
        return s.tags.join(QStringLiteral(", "));
    case ContainerNameRole:
        return s.containerName;
    case ContainerIdRole:
        return s.containerId.left(12);
    case ImageRole:
        return s.image;
    case RegisteredAtRole:
        return s.registeredAt;
    case AgeSecondsRole:
        return s.registeredAt.isValid() ? s.registeredAt.secsTo(QDateTime::currentDateTimeUtc())
                                        : qint64(-1);
    case RegistryKeyRole:
        return s.registryKey;
    case KeyRole:
        return s.key;
    case HealthRole:
        return s.health;
    case RoutedByRole:
        return m_routing.instanceText(s);
    case HealthTextRole:
        return ServiceRouting::healthText(s.health);
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceTableModel::roleNames() const
{
    return {{Qt::DisplayRole, "display"}, // the column's text
            {NameRole, "name"},
            {ServiceIdRole, "serviceId"},
            {HostRole, "host"},
            {AddressRole, "address"},
            {IpRole, "ip"},
            {PortRole, "port"},
            {ProtocolRole, "protocol"},
            {TagsRole, "tags"},
            {ContainerNameRole, "containerName"},
            {ContainerIdRole, "containerId"},
            {ImageRole, "image"},
            {RegisteredAtRole, "registeredAt"},
            {AgeSecondsRole, "ageSeconds"},
            {RegistryKeyRole, "registryKey"},
            {KeyRole, "key"},
            {HealthRole, "health"},
            {RoutedByRole, "routedBy"},
            {HealthTextRole, "healthText"}};
}

QList<ServiceRecord> ServiceTableModel::readRows() const
{
    if (!cluster())
        return {};
    return m_host.isEmpty() ? cluster()->services() : cluster()->servicesOnHost(m_host);
}

void ServiceTableModel::refresh()
{
    // Only what changed since the last batch (a batch of k changes costs O(k log n) plus the
    // row moves, not a sort and walk of all n rows); same order as ClusterState::services().
    QList<std::pair<Row, bool>> changes;
    const QList<ServiceChange> taken = takeServiceChanges(MaxChangesPerBatch);
    changes.reserve(taken.size());
    for (const ServiceChange &c : taken) {
        const auto placed = m_placed.constFind(c.record.key);
        const bool shown = !c.removed && (m_host.isEmpty() || c.record.host == m_host);
        if (placed != m_placed.constEnd() &&
            (!shown || placed->first != c.record.host || placed->second != c.record.id)) {
            // The row this key has now sits elsewhere (or goes): remove that one, found by the
            // host and id it was sorted by.
            auto old = std::make_shared<ServiceRecord>();
            old->key = c.record.key;
            old->host = placed->first;
            old->id = placed->second;
            changes.append({std::move(old), true});
            m_placed.remove(c.record.key);
        }
        if (shown) {
            changes.append({std::make_shared<const ServiceRecord>(c.record), false});
            m_placed.insert(c.record.key, {c.record.host, c.record.id});
        }
    }
    if (changes.isEmpty())
        return;
    applyRowChanges(this, m_rows, changes, &ServiceTableModel::rowLess,
                    [](const Row &a, const Row &b) { return *a == *b; });
}

void ServiceTableModel::rowReplaced(int row, const Row &was, const Row &now)
{
    Q_UNUSED(was);
    Q_UNUSED(now);
    // One signal for the whole row: the view shows a row as one delegate (HostsView.qml), which
    // takes every role again on any change, so naming the changed columns would only add signals.
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

namespace {
template <typename T> int threeWay(const T &a, const T &b)
{
    return a < b ? -1 : b < a ? 1 : 0;
}

// The seconds-since-epoch a row's age counts from; ages sort opposite to it, unknown first.
qint64 ageKey(const ServiceRecord &s)
{
    return s.registeredAt.isValid() ? -s.registeredAt.toSecsSinceEpoch()
                                    : std::numeric_limits<qint64>::min();
}
} // namespace

int ServiceTableModel::compareBy(int role, const ServiceRecord &a, const ServiceRecord &b)
{
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return a.name.compare(b.name);
    case ServiceIdRole:
        return a.id.compare(b.id);
    case HostRole:
        return a.host.compare(b.host);
    case AddressRole:
        return a.address().compare(b.address());
    case IpRole:
        return a.ip.compare(b.ip);
    case PortRole:
        return threeWay(a.port, b.port);
    case ProtocolRole:
        return a.protocol.compare(b.protocol);
    case TagsRole:
        return a.tags.join(QStringLiteral(", ")).compare(b.tags.join(QStringLiteral(", ")));
    case ContainerNameRole:
        return a.containerName.compare(b.containerName);
    case ContainerIdRole:
        return QStringView(a.containerId).left(12).compare(QStringView(b.containerId).left(12));
    case ImageRole:
        return a.image.compare(b.image);
    case RegisteredAtRole:
        return threeWay(a.registeredAt, b.registeredAt);
    case AgeSecondsRole:
        return threeWay(ageKey(a), ageKey(b));
    case RegistryKeyRole:
        return a.registryKey.compare(b.registryKey);
    case KeyRole:
        return a.key.compare(b.key);
    case HealthRole:
        return threeWay(ServiceRouting::healthRank(a.health), ServiceRouting::healthRank(b.health));
    default:
        return 0; // RoutedByRole needs the routing: ServiceFilterModel compares its text
    }
}

bool ServiceTableModel::rowLess(const Row &pa, const Row &pb)
{
    const ServiceRecord &a = *pa, &b = *pb;
    return a.host != b.host ? a.host < b.host : a.id != b.id ? a.id < b.id : a.key < b.key;
}

void ServiceTableModel::watch(ClusterState *cluster)
{
    ClusterListModel::watch(cluster);
    connect(cluster, &ClusterState::balancerChanged, this, &ServiceTableModel::routingChanged);
}

void ServiceTableModel::routingChanged()
{
    m_routing.reset(cluster() ? cluster()->balancers() : QList<BalancerRecord>());
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1),
                           {Qt::DisplayRole, RoutedByRole});
}

void ServiceTableModel::reload()
{
    takeServiceChanges(); // everything is read again below
    m_routing.reset(cluster() ? cluster()->balancers() : QList<BalancerRecord>());
    beginResetModel();
    const QList<ServiceRecord> records = readRows();
    m_rows.clear();
    m_rows.reserve(records.size());
    m_placed.clear();
    m_placed.reserve(records.size());
    for (const ServiceRecord &s : records) {
        m_rows.append(std::make_shared<const ServiceRecord>(s));
        m_placed.insert(s.key, {s.host, s.id});
    }
    endResetModel();
}
